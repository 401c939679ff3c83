//! The interactive event loop: draw, wait for input, a job message or the
//! animation clock, update, repeat.

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::crossterm::event;
use ratatui::layout::Rect;

use crate::app::action;
use crate::app::jobs::{self, JobEvent, JobHandle};
use crate::app::{Action, App, Effect, LoadPlan};
use crate::content::Source;
use crate::state::{ContentState, Store};
use crate::terminal::TerminalGuard;
use crate::ui;
use crate::ui::doc::MathSettings;
use crate::ui::theme::{Theme, ThemeChoice, ThemeName};

const TICK: Duration = Duration::from_millis(100);
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often to look for finished highlighting while the worker is busy.
const HIGHLIGHT_POLL: Duration = Duration::from_millis(15);
/// How long after start-up the highlighting worker starts on every code block.
const PREFETCH_DELAY: Duration = Duration::from_millis(300);

/// How long after start-up a first look (the shown part's file alone,
/// parsed before the first frame) waits before the rest is parsed.
const COMPLETE_DELAY: Duration = Duration::from_millis(20);

/// How long `--theme auto` waits for the terminal to say its background.
/// Terminals that cannot answer are detected sooner (they answer the
/// device-attributes query that follows); this bounds a slow or silent one.
const THEME_QUERY_TIMEOUT: Duration = Duration::from_millis(100);

/// What the command line asked of the interactive notebook.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub math: MathSettings,
    /// `--theme`, if given; else the theme last chosen with `C`, else auto.
    pub theme: Option<ThemeChoice>,
    /// Read and write the remembered place (`--no-state` turns it off).
    pub state: bool,
    /// Read the content again when its files change (`--watch`).
    pub watch: bool,
}

/// How often `--watch` looks at the files' modification times.
const WATCH_POLL: Duration = Duration::from_millis(250);

/// Run the notebook until the reader quits. Returns whether the content loaded.
pub fn run(source: &Source, options: Options) -> anyhow::Result<bool> {
    let mut store = None;
    let mut warning = None;
    if options.state {
        (store, warning) = open_store(source);
    }
    // Only the file of the part to be shown is parsed before the first frame
    // (a first look; the rest after it), and on a thread while the terminal
    // is set up (raw mode, alternate screen, ratatui's buffers: about 0.6 ms
    // the first frame waited for).
    let first = store.as_ref().and_then(|s| s.content().last);
    let (guard, loaded) = std::thread::scope(|scope| {
        let loading = std::thread::Builder::new()
            .name("load".into())
            .stack_size(8 << 20)
            .spawn_scoped(scope, || {
                crate::app::load_content(source, LoadPlan::FirstLook(first.as_deref()))
            });
        let guard = TerminalGuard::enter();
        let loaded = match loading {
            Ok(loading) => loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => crate::app::load_content(source, LoadPlan::FirstLook(first.as_deref())),
        };
        (guard, loaded)
    });
    let mut guard = guard?;
    ui::highlight::highlight_in_background();
    let size = guard.terminal.size().context("reading the terminal size")?;
    let chosen = store
        .as_ref()
        .and_then(|s| s.theme())
        .and_then(|t| t.parse::<ThemeChoice>().ok());
    let theme = options.theme.or(chosen).unwrap_or_default();
    let colorfgbg = std::env::var("COLORFGBG").ok();
    let no_color = crate::ui::theme::no_color_from_env();
    // Theme and math are known before the content is laid out, so the first
    // part is laid out once, by `restore_remembered` or `open` below.
    let mut app = App::unopened_from(
        loaded,
        source,
        Rect::new(0, 0, size.width, size.height),
        Theme::named(theme.initial(colorfgbg.as_deref()), no_color),
        options.math,
    );
    app.message = warning;
    let content_ok = app.errors.is_none();
    let (events_tx, events_rx) = mpsc::channel();
    let mut running: Option<JobHandle> = None;
    // Shared with the signal thread, which writes the latest snapshot when
    // Ctrl-C, SIGTERM or SIGHUP ends the notebook.
    let saver = store.clone().map(|store| {
        Arc::new(Mutex::new(Saver {
            store,
            latest: None,
        }))
    });
    if let Some(saver) = &saver {
        let saver = saver.clone();
        crate::terminal::on_signal_exit(move || {
            if let Ok(mut saver) = saver.lock() {
                let _ = saver.flush();
            }
        });
    }
    let first = match &store {
        // Content that failed to load has no parts to go back to (yet: with
        // --watch it may load later; the places are kept until then).
        Some(store) if content_ok => app.restore_remembered(store.content()),
        Some(store) => {
            app.remember.content = store.content();
            app.open(0)
        }
        None => app.open(0),
    };
    let mut watcher = if options.watch {
        let w = crate::watch::Watcher::new(source);
        if w.is_none() {
            app.message =
                Some("--watch: the built-in content cannot change; nothing to watch".into());
        }
        w
    } else {
        None
    };
    let mut last_watch = Instant::now();
    start_jobs(&mut app, first, &mut running, &events_tx);
    let panic_for_test = std::env::var_os("NNBOOK_TEST_PANIC").is_some();
    // Asked once, after the first frame is on screen, so start-up never waits.
    let mut ask_theme = theme == ThemeChoice::Auto && !no_color;
    let mut save_failed = false;
    let mut last_tick = Instant::now();
    // Every code block is highlighted before its part is opened, off the
    // draw loop, but not at once: on a two-core machine a worker compiling
    // syntect's regexes right after the first frame competes with the
    // terminal that is drawing it (measured: ~10 ms later on screen in tmux).
    let mut prefetch_at = Some(Instant::now() + PREFETCH_DELAY);
    // A first look is completed once the terminal has had time to draw the
    // first frame (or at the first key, whichever comes first): parsing the
    // rest on both cores at once delayed the frame in tmux by 2 ms.
    let complete_at = Instant::now() + COMPLETE_DELAY;
    loop {
        guard
            .terminal
            .draw(|frame| ui::frame::draw(frame, &app))
            .context("drawing")?;
        if panic_for_test {
            panic!("NNBOOK_TEST_PANIC is set: panicking after the first frame, as asked");
        }
        if prefetch_at.is_some_and(|at| Instant::now() >= at) {
            prefetch_at = None;
            ui::highlight::prefetch_notebook(&app.notebook);
        }
        // The query reads the terminal's answer from the tty itself, and a key
        // typed before it would be read (and lost) with it: it waits until no
        // key is pending, so only a key typed during the query can be lost.
        let ask_now = ask_theme && !event::poll(Duration::ZERO).context("waiting for input")?;
        if ask_now {
            ask_theme = false;
        }
        if ask_now
            && let Some(name) = terminal_theme()
            && name != app.theme.name
        {
            app.set_theme(app.theme.with_name(name));
            continue;
        }
        if let Some(saver) = &saver
            && !app.notebook.entries.is_empty()
            && let Ok(mut saver) = saver.lock()
        {
            saver.latest = Some((app.remembered(), app.remember.theme));
            if std::mem::take(&mut app.remember.dirty)
                && let Err(e) = saver.flush()
                && !std::mem::replace(&mut save_failed, true)
            {
                app.message = Some(format!("cannot save the reader's place: {e}"));
            }
        }
        let waiting = app.animating() || app.job.is_some();
        let mut timeout = if ui::highlight::busy() {
            HIGHLIGHT_POLL
        } else if waiting {
            TICK.saturating_sub(last_tick.elapsed())
        } else {
            IDLE_POLL
        };
        if watcher.is_some() {
            timeout = timeout.min(WATCH_POLL.saturating_sub(last_watch.elapsed()));
        }
        if let Some(at) = prefetch_at {
            timeout = timeout.min(at.saturating_duration_since(Instant::now()));
        }
        if app.first_look {
            timeout = timeout.min(complete_at.saturating_duration_since(Instant::now()));
        }
        let input = event::poll(timeout).context("waiting for input")?;
        if app.first_look && (input || Instant::now() >= complete_at) {
            // The rest of the content, before any key is handled (the keys
            // may go anywhere in it). Nothing changes on screen unless the
            // rest has errors, which bring the error view.
            let effect = app.complete_load(crate::app::load_notebook(source));
            start_jobs(&mut app, effect, &mut running, &events_tx);
        }
        if input {
            // Handle everything already queued before drawing again, so a burst
            // of keys or wheel events costs one frame.
            loop {
                let ev = match event::read().context("reading input")? {
                    // What the terminal says it measures is clamped like the
                    // backend's size, so layout never works at 65535 columns.
                    event::Event::Resize(w, h) => {
                        let (w, h) = crate::terminal::clamp_size(w, h);
                        event::Event::Resize(w, h)
                    }
                    ev => ev,
                };
                let ctx = app.key_context();
                if let Some(action) = action::from_event(&ev, ctx) {
                    match app.update(action) {
                        Effect::Quit => {
                            if let Some(job) = &running {
                                job.cancel();
                            }
                            if let Some(saver) = &saver
                                && !app.notebook.entries.is_empty()
                                && let Ok(mut saver) = saver.lock()
                            {
                                saver.latest = Some((app.remembered(), app.remember.theme));
                                if let Err(e) = saver.flush() {
                                    drop(guard);
                                    eprintln!(
                                        "nnbook: cannot save the reader's place in {}: {e}",
                                        saver.store.path.display()
                                    );
                                }
                            }
                            return Ok(app.errors.is_none());
                        }
                        Effect::Copy(text) => {
                            // Only on the copy key: the one place nnbook writes
                            // to the clipboard.
                            let how = crate::clipboard::copy(&mut std::io::stdout().lock(), &text);
                            if let Some(m) = app.message.as_mut() {
                                *m = format!("{m} via {how}");
                            }
                        }
                        effect => start_jobs(&mut app, effect, &mut running, &events_tx),
                    }
                }
                if !event::poll(Duration::ZERO).context("waiting for input")? {
                    break;
                }
            }
        }
        while let Ok(message) = events_rx.try_recv() {
            match message {
                JobEvent::Progress { id, progress } => app.job_progress(id, progress),
                JobEvent::Done { id, result } => {
                    app.job_done(id, result);
                    if running.as_ref().is_some_and(|j| j.id == id) {
                        running = None;
                    }
                }
            }
        }
        app.highlights_landed();
        if let Some(w) = watcher.as_mut()
            && last_watch.elapsed() >= WATCH_POLL
        {
            last_watch = Instant::now();
            if w.changed() {
                let effect = app.reload(source);
                start_jobs(&mut app, effect, &mut running, &events_tx);
                // New or edited code blocks, off the draw loop as at start.
                ui::highlight::prefetch_notebook(&app.notebook);
            }
        }
        if app.animating() && last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            app.update(Action::Tick);
        }
    }
}

/// The state file and the latest snapshot of what to write in it (the
/// remembered place and a theme chosen with `C`), taken once per pass of the
/// event loop so the signal thread has something current to write.
struct Saver {
    store: Store,
    latest: Option<(ContentState, Option<ThemeName>)>,
}

impl Saver {
    fn flush(&mut self) -> std::io::Result<()> {
        let Some((content, theme)) = &self.latest else {
            return Ok(());
        };
        if let Some(theme) = theme {
            self.store.set_theme(theme.key());
        }
        self.store.save(content.clone())
    }
}

/// The state file for this content, and a warning for the status line if it
/// could not be read (or there is nowhere to keep it).
fn open_store(source: &Source) -> (Option<Store>, Option<String>) {
    match crate::state::default_dir() {
        Some(dir) => {
            let (store, warning) = Store::open(&dir, source.identity());
            (Some(store), warning)
        }
        None => (
            None,
            Some("no home directory: the reader's place is not remembered".into()),
        ),
    }
}

/// Ask the terminal whether its background is dark or light (OSC 11, via
/// terminal-colorsaurus). `None` when it cannot say in time.
fn terminal_theme() -> Option<ThemeName> {
    let mut options = terminal_colorsaurus::QueryOptions::default();
    options.timeout = THEME_QUERY_TIMEOUT;
    match terminal_colorsaurus::theme_mode(options).ok()? {
        terminal_colorsaurus::ThemeMode::Dark => Some(ThemeName::Dark),
        terminal_colorsaurus::ThemeMode::Light => Some(ThemeName::Light),
    }
}

fn start_jobs(
    app: &mut App,
    effect: Effect,
    running: &mut Option<JobHandle>,
    tx: &mpsc::Sender<JobEvent>,
) {
    let Effect::Jobs(jobs) = effect else { return };
    for (panel, request) in jobs {
        if let Some(previous) = running.take() {
            previous.cancel();
        }
        let id = app.job_started(panel, request.label.clone());
        *running = Some(jobs::spawn(id, request, tx.clone()));
    }
}
