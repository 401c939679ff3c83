//! The remembered-place file (`nnbook::state`): written atomically and
//! privately, read back per content, and a broken file never stops anything.
//! Every test works in a folder of its own under the temp dir; none reads
//! or writes the reader's real state directory. (The TUI side, a restart
//! landing where it left off and `--no-state`, is tested in pty.rs.)

use std::path::PathBuf;

use nnbook::state::{ContentState, EntryState, FILE_NAME, Place, Store};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnbook-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn sample() -> ContentState {
    let mut content = ContentState {
        last: Some("6a".into()),
        ..ContentState::default()
    };
    let mut entry = EntryState {
        place: Some(Place { block: 3, line: 1 }),
        flagged: true,
        ..EntryState::default()
    };
    entry.panel.insert("mode".into(), "backward".into());
    content.entries.insert("6a".into(), entry);
    content
}

#[test]
fn the_file_is_written_whole_private_and_with_no_temporary_left() {
    // A folder that does not exist yet, two levels down: created.
    let dir = temp_dir("atomic").join("nested");
    let (mut store, warning) = Store::open(&dir, "embedded".into());
    assert_eq!(warning, None);
    store.save(sample()).expect("saved");
    store.save(sample()).expect("saved over the first");
    assert_eq!(
        names_in(&dir),
        vec![FILE_NAME.to_string()],
        "no temp file left"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "owner only: {mode:o}");
        let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o077, 0, "folder owner only: {dir_mode:o}");
    }
    let text = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).expect("whole JSON");
    assert_eq!(
        json["contents"]["embedded"]["entries"]["6a"]["panel"]["mode"],
        "backward"
    );
    let (again, _) = Store::open(&dir, "embedded".into());
    assert_eq!(again.content(), sample());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_corrupt_file_is_kept_aside_and_the_reader_starts_fresh() {
    let dir = temp_dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = b"{\"version\": 1, \"contents\": {\"embedded\": [1, 2";
    std::fs::write(dir.join(FILE_NAME), garbage).unwrap();
    let (mut store, warning) = Store::open(&dir, "embedded".into());
    let warning = warning.expect("a warning for the status line");
    assert!(warning.starts_with("starting fresh"), "{warning}");
    assert!(
        warning.contains("corrupt-"),
        "names where it went: {warning}"
    );
    assert_eq!(store.content(), ContentState::default());
    let names = names_in(&dir);
    assert_eq!(names.len(), 1, "{names:?}");
    let aside = dir.join(&names[0]);
    assert!(names[0].starts_with("state.json.corrupt-"), "{names:?}");
    assert_eq!(std::fs::read(&aside).unwrap(), garbage, "kept as it was");
    store.save(sample()).expect("a fresh file can be written");
    let (again, warning) = Store::open(&dir, "embedded".into());
    assert_eq!(warning, None, "warned once: the new file is fine");
    assert_eq!(again.content(), sample());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreadable_or_future_file_is_also_moved_aside() {
    let dir = temp_dir("unreadable");
    // A folder where the file should be cannot be read as one.
    std::fs::create_dir_all(dir.join(FILE_NAME)).unwrap();
    let (_, warning) = Store::open(&dir, "embedded".into());
    assert!(warning.expect("warned").contains("could not be read"));
    std::fs::write(dir.join(FILE_NAME), br#"{"version": 99, "contents": {}}"#).unwrap();
    let (store, warning) = Store::open(&dir, "embedded".into());
    assert!(warning.expect("warned").contains("newer version"));
    assert_eq!(store.content(), ContentState::default());
    assert_eq!(
        names_in(&dir).len(),
        2,
        "both kept aside: {:?}",
        names_in(&dir)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_content_folders_do_not_mix() {
    let root = temp_dir("identity");
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ids = [
        nnbook::content::Source::Embedded.identity(),
        nnbook::content::Source::Dir(a.clone()).identity(),
        nnbook::content::Source::Dir(b.clone()).identity(),
    ];
    assert_eq!(
        ids.iter().collect::<std::collections::BTreeSet<_>>().len(),
        3,
        "{ids:?}"
    );
    // Another spelling of the same folder is the same content.
    assert_eq!(
        nnbook::content::Source::Dir(root.join("a/../a")).identity(),
        ids[1]
    );
    let state = root.join("state");
    let (mut first, _) = Store::open(&state, ids[1].clone());
    first.save(sample()).unwrap();
    let (second, _) = Store::open(&state, ids[2].clone());
    assert_eq!(second.content(), ContentState::default());
    let _ = std::fs::remove_dir_all(&root);
}

/// `d` and `b` show in the contents: ✓ studied, ! flagged (+ with ASCII glyphs).
#[test]
fn marks_show_in_the_contents() {
    use nnbook::app::Action;
    use nnbook::state::Mark;
    use ratatui::layout::Rect;
    let mut app = crate::common::embedded_app(Rect::new(0, 0, 160, 48));
    let e = app.notebook.find_entry("1b").unwrap();
    app.open(e);
    app.update(Action::Mark(Mark::Studied));
    app.update(Action::NextEntry);
    app.update(Action::Mark(Mark::Flagged));
    let frame = nnbook::headless::render_frame(&app, false);
    let row = |label: &str| {
        frame
            .lines()
            .find(|l| l.starts_with(&format!("│  {label}")))
            .unwrap_or_else(|| panic!("{label} in {frame}"))
            .split("││")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(
        row("(b) Shallowest").contains(" ✓ 3"),
        "{}",
        row("(b) Shallowest")
    );
    assert!(row("(c)").contains(" ! "), "{}", row("(c)"));
    assert!(!row("(a)").contains('✓'));
    app.update(Action::CycleGlyphs);
    app.update(Action::CycleGlyphs);
    let frame = nnbook::headless::render_frame(&app, false);
    assert!(
        frame
            .lines()
            .any(|l| l.starts_with("│  (b) Shallowest") && l.contains(" + 3")),
        "{frame}"
    );
}
