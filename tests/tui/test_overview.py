"""The overview of several accounts: the three demo accounts (Pubrio, OpenAI, Anthropic),
each on its own simulator over loopback, with frozen time; drilling in and back,
toasts naming the account, sorting, and an account that fails.

Snapshots at 120×36 and 80×24; each SVG was reviewed (its text extracted) before
it was committed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.config import load_settings
from usage_top.pipeline.fleet import Fleet
from usage_top.tui.app import accounts_app
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.overview import AccountTable, OverviewScreen
from usage_top.views.overview import NOTHING_DUE, OverviewView

from .conftest import settle
from .test_tui_faults import screen_text

WIDE, NARROW = (120, 36), (80, 24)


@pytest.fixture
def make_overview(isolated_env, clock, monkeypatch):
    """``make_overview(start=None, connect=True, **flags)``: the App on the demo's three
    accounts (``connect=False``: as the command opens them, simulators at the first poll)."""
    for name in ("OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "USAGE_TOP_PROVIDER"):
        monkeypatch.delenv(name, raising=False)

    def make(start: str | None = None, connect: bool = True, **flags):
        settings = load_settings(demo=True, **flags)
        return accounts_app(Fleet.open(settings.fleet(), clock, sim_clock=clock, connect=connect),
                            start)

    return make


async def _ready(pilot) -> None:
    """Every account polled (each has an outcome, none is in flight) and the screen caught
    up; the alert toasts (their own test) dismissed. Waits on that condition, a bounded
    number of rounds, never on the wall clock."""
    app = pilot.app
    for _ in range(200):
        await settle(pilot)
        if set(app.outcomes) == set(app.fleet) and not app.polls_in_flight:
            break
    else:
        pytest.fail(f"polls never finished: outcomes {sorted(app.outcomes)}, "
                    f"in flight {sorted(app.polls_in_flight)}")
    app.clear_notifications()
    await pilot.pause()


async def _until(pilot, condition) -> None:
    """Pause until ``condition()`` holds, a bounded number of rounds (not a wall-clock wait)."""
    for _ in range(400):
        await pilot.pause(0.02)
        if condition():
            return


def _rows(app) -> list[str]:
    table = app.screen.query_one(AccountTable)
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


def test_overview_wide(snap_compare, make_overview):
    assert snap_compare(make_overview(), terminal_size=WIDE, run_before=_ready)


def test_overview_compact(snap_compare, make_overview):
    assert snap_compare(make_overview(), terminal_size=NARROW, run_before=_ready)


def test_overview_after_three_polls_says_what_runs_out_first(snap_compare, make_overview, clock):
    async def run_before(pilot):
        await _ready(pilot)
        for _ in range(2):
            clock.advance(minutes=10)
            await pilot.press("r")
            await settle(pilot)
        # A column keeps the width of its widest cell since the last layout: which
        # accounts' rows were drawn between two polls follows their workers' timing, so
        # the columns are laid out anew (compact and back) for the figures as they are.
        await pilot.resize_terminal(*NARROW)
        await settle(pilot)
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_overview(), terminal_size=WIDE, run_before=run_before)


async def test_enter_opens_each_account_and_escape_comes_back(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert isinstance(app.screen, OverviewScreen)
        for index, name in enumerate(_rows(app)):
            app.screen.query_one(AccountTable).move_cursor(row=index)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen) and app.current == name
            assert app.store is app.fleet[name].store and app.collector is app.fleet[name].collector
            assert app.capabilities is app.fleet[name].capabilities
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, OverviewScreen) and app.current is None


async def test_the_simulators_start_with_the_first_polls_after_the_first_frame(make_overview):
    """As ``usage-top --demo`` opens the accounts: nothing but the files before the first
    frame; each account's simulator and provider at its first poll."""
    app = make_overview(connect=False)
    assert all(app.fleet[name].sim_server is None for name in app.fleet)
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert all(app.fleet[name].sim_server is not None for name in app.fleet)
        assert all(row.updated is not None and row.error is None for row in app.screen.view.rows)


async def test_alerts_from_any_account_are_toasts_that_name_it(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        titles = [notification.title for notification in app._notifications]
        assert any(title.startswith("pubrio · ") for title in titles), titles
        assert all(title.split(" · ")[0] in app.fleet for title in titles)


async def test_sorting_cycles_the_orders(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert _rows(app)[0] == "pubrio"  # the fullest scope first: its API hourly is red
        for _ in range(2):
            await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one(AccountTable).order == "name"
        assert _rows(app) == ["anthropic", "openai", "pubrio"]


async def test_account_flag_starts_on_that_dashboard_and_escape_leads_to_the_overview(
        make_overview):
    app = make_overview(start="openai")
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert isinstance(app.screen, DashboardScreen) and app.current == "openai"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)


async def test_a_failing_account_shows_its_error_and_the_others_stay_live(make_overview, clock):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.fleet["openai"].sim_server.stop()  # its vendor goes away
        clock.advance(minutes=1)
        await pilot.press("r")
        await settle(pilot)
        rows = {row.name: row for row in app.screen.view.rows}
        assert rows["openai"].error and rows["pubrio"].error is None
        assert rows["pubrio"].updated == clock.now and rows["anthropic"].updated == clock.now
        assert rows["openai"].updated < clock.now  # its last good data, with its age


def _columns(app) -> list[str]:
    return [column.label.plain.strip() for column in app.screen.query_one(AccountTable).columns.values()]


def _cursor_account(app) -> str:
    table = app.screen.query_one(AccountTable)
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value


async def test_the_columns_follow_the_layout_when_the_terminal_is_resized(make_overview):
    """No poll in between: the compact columns come with the compact layout."""
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        wide = _columns(app)
        assert "Provider" in wide and "Burn" in wide
        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        assert app.screen.has_class("-compact")
        assert _columns(app) == ["Account", "Worst scope", "Used", "Today", "Outlook", "Data",
                                 "State"]
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert _columns(app) == wide


async def test_the_cursor_stays_on_its_account_through_polls_and_orders(make_overview, clock):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert _cursor_account(app) == _rows(app)[0]  # untouched: the top row, whatever came first
        for _ in _rows(app):  # down to openai, by keys as a user would
            if _cursor_account(app) != "openai":
                await pilot.press("down")
        assert _cursor_account(app) == "openai"
        before = _rows(app)
        for _ in range(3):  # worst → runs out → name: openai moves
            await pilot.press("s")
            await pilot.pause()
            assert _cursor_account(app) == "openai"
        assert _rows(app) != before
        clock.advance(minutes=10)
        await pilot.press("r")
        await _ready(pilot)
        assert _cursor_account(app) == "openai"
        await pilot.press("enter")
        await settle(pilot)
        assert app.current == "openai"


async def test_a_poll_of_one_account_repaints_its_changed_cells_not_the_table(
        make_overview, clock, monkeypatch):
    """Every repaint is bytes over SSH: a poll of one account redraws the cells of its row
    that changed (its figures, its age), never the whole table nor another row."""
    from usage_top.widgets.virtual_table import VirtualTable

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        table = app.screen.query_one(AccountTable)
        today = table.get_cell("pubrio", "Today").text.plain
        columns = dict(table.columns)
        asked: list[tuple] = []
        refresh = VirtualTable.refresh

        def spy(self, *regions, **options):
            if self is table:
                asked.append(regions)
            return refresh(self, *regions, **options)

        monkeypatch.setattr(VirtualTable, "refresh", spy)
        clock.advance(seconds=30)
        app.poll_account("pubrio")
        await _ready(pilot)
        assert table.get_cell("pubrio", "Today").text.plain != today  # new figures shown
        assert table.columns == columns  # the same columns, as wide
        assert asked and all(regions for regions in asked)  # never the whole widget
        pubrio = table.get_row_index("pubrio") + 1  # its line (0 is the header)
        painted = [region for regions in asked for region in regions]
        others = [region.y for region in painted if region.y != pubrio]
        widths = [column.width for column in table.columns.values()]
        start = sum(widths[:list(table.columns).index("Data")])  # the other rows' ages may
        assert all(start <= region.x and region.right <= start + table.columns["Data"].width
                   for region in painted if region.y in others)  # turn (30 s on), no more
        assert all(region.width < table.size.width // 2 for region in painted)  # cells, not lines


def _offered(app) -> set[str]:
    """The actions the current screen's footer and keys offer."""
    return {active.binding.action for active in app.screen.active_bindings.values()}


async def test_the_overview_offers_only_the_keys_that_work_there(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        offered = _offered(app)
        assert {"quit", "help", "toggle_pause", "poll_now", "sort(1)", "sort(-1)",
                "select_cursor", "copy_line"} <= offered  # y: the account row's line
        dashboard_only = {"set_range('today')", "pick_key", "toggle_metric", "billing", "events",
                          "scope", "export('csv')", "history(-1)"}
        assert not offered & dashboard_only
        range_ = app.range_
        await pilot.press("1", "c", "b")  # nothing happens: no range, metric or billing here
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen) and app.range_ is range_
        await pilot.press("enter")
        await settle(pilot)
        assert dashboard_only - {"history(-1)"} <= _offered(app)  # all there on a dashboard


async def test_the_help_lists_the_overview_keys(make_overview):
    """On the overview, the help opens on the keys that work there; the dashboard's come
    after, under their own heading, not as keys that work everywhere."""
    from usage_top.tui.screens import HelpScreen

    from .conftest import svg_rows

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(svg_rows(app.export_screenshot()))
        assert "Overview of the accounts" in text and "Everywhere" not in text
        cells = [part.split() for line in text.splitlines() for part in line.split("│")]
        for keys, what, name in (("s", "Sort", "overview_sort"), ("S", "Sort back",
                                 "overview_sort_back"), ("⏎", "Open", "overview_open"),
                                 ("p", "Pause", "pause"), ("r", "Refresh", "refresh")):
            wanted = [keys, *what.split(), name]  # a scrollbar's cell may follow
            assert any(cell[:len(wanted)] == wanted for cell in cells), (name, text)
        overview_ends = text.index("Anywhere")
        assert "range_today" in text and text.index("range_today") > overview_ends
        assert text.index("On a dashboard") > overview_ends


async def test_the_help_on_the_overview_counts_every_accounts_requests(make_overview, clock):
    from textual.widgets import Static

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        prints = [app.fleet[name].store.footprint(clock.now) for name in app.fleet]
        assert all(each.last_poll for each in prints)
        await pilot.press("question_mark")
        await pilot.pause()
        shown = str(app.screen.query_one("#help-footprint", Static).content)
        assert shown.startswith(f"usage-top's own requests: "
                                f"{sum(each.last_poll for each in prints):,} in the last poll")
        assert f"{sum(each.requests_hour for each in prints):,} in the last hour" in shown


async def test_a_rebuilt_table_is_as_wide_as_its_cells_before_its_next_idle(make_overview, clock):
    """A frame drawn right after the columns change (a snapshot, a browser's first look)
    must not cut '92.9%' to the label's 'Used' width."""
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        table = app.screen.query_one(AccountTable)
        for compact in (True, False):  # another set of columns
            table.show(app.screen.view, clock(), compact)
            for index in range(table.row_count):  # no await: drawn as it is now
                line = table.render_line(index + 1).text
                key = table.coordinate_to_cell_key((index, 0)).row_key.value
                for column in table.columns:
                    assert table.get_cell(key, column).text.plain.strip() in line, (column, line)


def _row(updated):
    from usage_top.domain.measures import REQUESTS, Measure
    from usage_top.views.overview import AccountRow

    return AccountRow("prod", "pubrio", None, Measure("requests", "Requests", REQUESTS), None,
                      None, "", "", "", None, updated, None)


def test_ages_read_in_minutes_and_say_when_they_next_turn(clock):
    from usage_top.views.overview import age, ages_turn

    now = clock.now
    ago = lambda **delta: _row(now - dt.timedelta(**delta))  # noqa: E731
    assert [age(ago(seconds=s), now) for s in (0, 59)] == ["<1m", "<1m"]
    assert [age(ago(seconds=s), now) for s in (60, 3599, 3660, 90_000)] == [
        "1m", "59m", "1h 1m", "1d 1h"]
    assert age(_row(None), now) == "no data" and ages_turn([_row(None)], now) is None
    rows = [ago(seconds=10), ago(seconds=130), ago(hours=25, minutes=10)]
    assert ages_turn(rows, now) == now + dt.timedelta(seconds=50)  # the first row's minute
    assert ages_turn(rows[1:], now) == now + dt.timedelta(seconds=50)  # 2m 10s: 3m at 3m
    assert ages_turn(rows[2:], now) == now + dt.timedelta(minutes=50)  # '1d 1h' to '1d 2h'


async def test_the_ages_are_redrawn_when_they_turn_and_not_in_between(
        make_overview, clock, monkeypatch):
    """The clock ticks every second; the Data column is redrawn only when an age reads
    differently, so it is never older than it says and costs nothing in between."""
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()  # no poll in between: only the clock moves
        table = app.screen.query_one(AccountTable)
        shows: list[dt.datetime] = []
        show = AccountTable.show

        def spy(self, view, now, compact):
            shows.append(now)
            show(self, view, now, compact)

        monkeypatch.setattr(AccountTable, "show", spy)
        for _ in range(59):
            clock.advance(seconds=1)
            app.screen.tick(clock())
        await pilot.pause()
        assert shows == [] and {table.get_cell(name, "Data").text.plain.strip()
                                for name in app.fleet} == {"<1m"}
        clock.advance(seconds=1)
        app.screen.tick(clock())
        await pilot.pause()
        assert shows == [clock.now]
        assert {table.get_cell(name, "Data").text.plain.strip() for name in app.fleet} == {"1m"}


async def test_a_column_whose_cells_narrow_keeps_its_width(make_overview, clock):
    """Each new set of widths repaints the whole table: a column widens for a longer cell
    than its room and keeps that width when the cell narrows again."""
    from dataclasses import replace

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        table, view = app.screen.query_one(AccountTable), app.screen.view
        narrow = table.columns["Outlook"].width
        longer = replace(view, rows=[replace(row, outlook="over", outlook_scope="Requests per minute")
                                     if row.name == "pubrio" else row for row in view.rows])
        table.show(longer, clock(), compact=False)
        wide = table.columns["Outlook"].width
        assert wide == len(" over: Requests per minute ") > narrow
        table.show(view, clock(), compact=False)
        assert table.columns["Outlook"].width == wide
        await pilot.pause()
        line = table.render_line(1 + table.get_row_index("pubrio")).text
        assert "—" in line and "over:" not in line  # the narrower cell, in the wider column


@pytest.mark.parametrize("compact", [False, True], ids=["wide", "compact"])
async def test_the_first_burn_rates_and_outlooks_fit_their_columns(make_overview, clock, compact):
    """A burn rate and an outlook come after a few polls: their columns have room for
    them from the first frame (for the first-out mark too, except in 80 columns), so
    their arrival repaints their cells, not the whole table (new widths would shift
    every column right of them)."""
    from dataclasses import replace

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        table, view = app.screen.query_one(AccountTable), app.screen.view
        none_yet = replace(view, rows=[replace(row, burn="", outlook="", outlook_scope="", first=False)
                                       for row in view.rows])
        table.show(none_yet, clock(), compact=compact)
        widths = {key: column.width for key, column in table.columns.items()}
        laid_out = []
        table.replace_columns = lambda columns: laid_out.append(columns)
        rates = replace(none_yet, rows=[replace(row, burn="$12.34/h", outlook="limit in 23h 59m",
                                                outlook_scope="API",
                                                first=index == 0 and not compact)
                                        for index, row in enumerate(none_yet.rows)])
        table.show(rates, clock(), compact=compact)
        assert laid_out == []
        assert {key: column.width for key, column in table.columns.items()} == widths
        await pilot.pause()
        line = table.render_line(1).text
        assert ("▶ limit in 23h 59m" if not compact else "limit in 23h 59m") in line
        assert compact or "$12.34/h" in line


async def test_an_account_not_yet_polled_claims_nothing(make_overview, clock):
    """Before its first poll a row says it waits: no 'ok', no 'no limits' (nothing is
    known yet), and its figures are '—'; once polled, a provider without limits says so."""
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        table = app.screen.query_one(AccountTable)
        waiting = {name: cell.plain for name, cell in table._row_cells(_row(None), clock.now).items()}
        assert (waiting["State"], waiting["Worst scope"], waiting["Data"]) == ("waiting", "—", "no data")
        assert waiting["Today"] == waiting["Used"] == "—"
        polled = {name: cell.plain for name, cell in table._row_cells(_row(clock.now), clock.now).items()}
        assert (polled["State"], polled["Worst scope"]) == ("ok", "no limits")


def _fresh(app, now):
    """The overview as reading every file anew gives it (what the kept rows must equal)."""
    from usage_top.views.overview import AccountRows

    kept, app._rows = app._rows, AccountRows()
    try:
        return app.overview(now, "worst")
    finally:
        app._rows = kept


async def test_a_poll_of_one_account_reads_its_file_only(make_overview, clock):
    """After a poll the overview reads the polled account's file, keeps the other rows,
    and shows what reading every file would: the order and "runs out first" included."""
    from usage_top.views import overview

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()
        read: list[str] = []

        def counted(source, now):
            read.append(source.name)
            return overview.account_row(source, now)

        app._rows._read = counted
        for _ in range(3):  # pubrio fills its hourly scope: its countdown turns
            clock.advance(minutes=10)
            app.poll_account("pubrio")
            await _ready(pilot)
        assert set(read) == {"pubrio"}
        assert app.screen.view == _fresh(app, clock.now)
        app.refresh_view()  # nothing written, the clock still: nothing read
        assert set(read) == {"pubrio"} and app.screen.view == _fresh(app, clock.now)


async def test_rows_the_clock_turns_are_read_again_at_the_tick(make_overview, clock):
    """With no poll, an outlook's countdown ('limit in 3h 10m') turns at its minute and a
    day's totals at midnight: the tick reads those rows again, and only when they turn."""
    from usage_top.views.overview import view_turns

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        for _ in range(2):
            clock.advance(minutes=10)
            await pilot.press("r")
            await _ready(pilot)
        app.cancel_account_timers()
        screen = app.screen
        for step in (1, 59, 60, 3600, 86400):
            turn = view_turns(screen.view)
            assert turn is not None and turn > clock.now
            clock.advance(seconds=step)
            screen.tick(clock())
            await pilot.pause()
            fresh = _fresh(app, clock.now)
            assert screen.view == fresh, step
            table = screen.query_one(AccountTable)
            assert [table.get_cell(row.name, "Outlook").text.plain.strip() for row in fresh.rows
                    if row.outlook_scope] == [
                f"▶ {row.outlook}" if row.first else (f"over: {row.outlook_scope}" if row.over
                                                       else row.outlook)
                for row in fresh.rows if row.outlook_scope]


def test_a_row_turns_when_its_countdown_reset_or_day_reads_differently():
    from zoneinfo import ZoneInfo

    from usage_top.oncall.projection import Projection
    from usage_top.views.overview import row_turns

    utc = ZoneInfo("UTC")
    now = dt.datetime(2026, 3, 4, 12, 0, 10, tzinfo=dt.UTC)
    midnight = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    just = dt.timedelta(microseconds=1)
    assert row_turns(now, utc, [], None) == midnight
    assert row_turns(now, ZoneInfo("Asia/Tokyo"), [], None) == dt.datetime(
        2026, 3, 4, 15, tzinfo=dt.UTC)  # Tokyo's midnight
    # 'limit in 3h 10m' (3h 10m 20s left) reads '3h 9m' just after 20 s
    limit = now + dt.timedelta(hours=3, minutes=10, seconds=20)
    assert row_turns(now, utc, [], limit) == now + dt.timedelta(seconds=20) + just
    # '1d 2h' (1d 2h 30m left) turns at the hour; under a minute '<1m' stays
    assert row_turns(now, utc, [], now + dt.timedelta(days=1, hours=2, minutes=30)) == \
        now + dt.timedelta(minutes=30) + just
    assert row_turns(now, utc, [], now + dt.timedelta(seconds=59)) == midnight
    resets = Projection("api.hourly", 10.0, None, None, now + dt.timedelta(minutes=50))
    ended = Projection("api.daily", 10.0, None, None, now - dt.timedelta(minutes=1))
    assert row_turns(now, utc, [resets, ended], None) == now + dt.timedelta(minutes=50)


async def test_paused_the_tick_reads_no_row(make_overview, clock):
    """Paused, the data stays as it was: a row the clock turns is not read again (a
    collector's new figures would show with it) until polling resumes."""
    from usage_top.views.overview import view_turns

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        await pilot.press("p")
        await settle(pilot)
        view = app.screen.view
        clock.advance(seconds=(view_turns(view) - clock.now).total_seconds() + 1)
        app.screen.tick(clock())
        await pilot.pause()
        assert app.screen.view is view


async def test_the_header_says_the_oldest_data_of_every_file(make_overview, clock):
    """The overview's header takes each account's last success from its row (read when
    its file may have changed): the oldest of them, as the files say."""
    from usage_top.widgets.status_bar import StatusBar

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()
        clock.advance(minutes=5)
        app.poll_account("openai")
        await _ready(pilot)
        oldest = min(app.fleet[name].store.last_success().finished_at for name in app.fleet)
        newest = app.fleet["openai"].store.last_success().finished_at
        assert oldest < newest
        assert app.screen.query_one(StatusBar).status.last_success == oldest


async def test_the_header_says_polling_only_for_a_poll_that_takes_a_while(make_overview):
    """Twenty accounts polling in turn flipped the header to "polling…" and back at every
    poll: now only a poll running over a second says so (a simulator made slow here)."""
    from usage_top.sim.faults import Faults
    from usage_top.widgets.status_bar import StatusBar

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        bar = app.screen.query_one(StatusBar)
        assert not bar.status.in_flight
        slow = next(iter(app.fleet))
        app.fleet[slow].sim_server.sim.set_faults(Faults(latency=1.5))
        app.poll_account(slow)
        said = []
        for _ in range(400):  # bounded rounds, not a wall-clock wait
            await pilot.pause(0.02)
            said.append(bar.status.in_flight)
            if said[-1] or not app.polls_in_flight:
                break
        assert said[-1], "the slow poll never said polling…"
        app.fleet[slow].sim_server.sim.set_faults(Faults())
        await _ready(pilot)
        assert not bar.status.in_flight


async def test_a_poll_under_a_second_leaves_the_header_as_it_is(make_overview):
    """What the header is given while a poll has run under ``SLOW_POLL``: no "polling…"."""
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        name = next(iter(app.fleet))
        app._account_polls.add(name)  # a poll in flight, its SLOW_POLL timer not yet fired
        base = app.screen.query_one("StatusBar").status
        assert not app.fleet_status(base).in_flight
        app._poll_is_slow(name)
        assert app.fleet_status(base).in_flight


def test_the_summary_says_a_statement_a_line():
    """The summary keeps two lines, one statement each: wrapped at the width, 'Over the
    limit:' ended one line and its scopes began the next, and a summary growing by a line
    moved the whole table down (a repaint of every row, ~8 KB over SSH)."""
    view = OverviewView([], ("Runs out first: anthropic · Budget monthly (limit in 12d 14h)",
                             "Over the limit: pubrio · API hourly"))
    assert view.summary_text == "\n".join(view.summary)
    assert OverviewView([], ()).summary_text == NOTHING_DUE


async def test_the_table_stays_where_it_is_whatever_the_summary_says(make_overview):
    from dataclasses import replace

    app = make_overview()
    async with app.run_test(size=NARROW) as pilot:
        await _ready(pilot)
        screen, table = app.screen, app.screen.query_one(AccountTable)
        top, real = table.region.y, app.overview
        summary_line, asked = screen.query_one("#first-out"), []
        refresh = summary_line.refresh
        summary_line.refresh = lambda *regions, **options: (asked.append(options)
                                                            or refresh(*regions, **options))
        over = f"Over the limit: {', '.join(f'account-{n} · API hourly' for n in range(9))}"
        for summary in ((), ("Runs out first: a · API daily (limit in 3h)",),
                        ("Runs out first: a · API daily (limit in 3h)", over)):
            app.overview = lambda now, order, said=summary: replace(real(now, order), summary=said)
            screen._read(app.clock())
            await pilot.pause()
            assert table.region.y == top, summary
            shown = [line.rstrip() for line in screen_text(app).splitlines()[1:3]]
            assert shown[0].startswith(summary[0] if summary else "No limit is projected")
        assert shown[1].startswith("Over the limit: account-0") and shown[1].endswith("…")
        # nor is a layout asked for: it would repaint every scrollbar on the screen
        assert asked and not any(options.get("layout") for options in asked), asked


async def test_accounts_polled_together_are_shown_once_they_have_all_landed(
        make_overview, clock, monkeypatch):
    """`r` polls every account at once: the overview reads and redraws once, when the
    last lands, not at each landing (twenty a round cost a fifth of the CPU)."""
    from usage_top.tui import accounts

    monkeypatch.setattr(accounts, "LANDING_WAIT", 3600.0)  # only the last landing shows
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()
        shown: list[frozenset[str]] = []
        refresh = app.refresh_view
        monkeypatch.setattr(app, "refresh_view",
                            lambda: shown.append(app.polls_in_flight) or refresh())
        clock.advance(minutes=1)
        await pilot.press("r")
        await _ready(pilot)
        assert shown == [frozenset()]  # once, with none in flight
        rows = {row.name: row for row in app.screen.view.rows}
        assert all(row.updated == clock.now for row in rows.values()), rows


async def test_a_slow_account_holds_the_others_back_for_the_landing_wait_only(
        make_overview, clock):
    """One account's vendor takes seconds to answer: the polls that landed meanwhile are
    shown after ``LANDING_WAIT``, while it is still in flight."""
    from usage_top.sim.faults import Faults

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()
        slow = "openai"
        app.fleet[slow].sim_server.sim.set_faults(Faults(latency=5.0))
        clock.advance(minutes=1)
        await pilot.press("r")

        def by_name():
            return {row.name: row for row in app.screen.view.rows}

        await _until(pilot, lambda: by_name()["pubrio"].updated == clock.now or not app.polls_in_flight)
        rows = by_name()
        assert slow in app.polls_in_flight, "the others waited for the slow account"
        assert rows["pubrio"].updated == rows["anthropic"].updated == clock.now
        assert rows[slow].updated < clock.now
        app.fleet[slow].sim_server.sim.set_faults(Faults())
        await _ready(pilot)


async def test_paused_the_polls_that_landed_are_not_shown(make_overview, clock):
    """`p` while some polls have landed and one is still in flight: the overview keeps
    the figures it showed when paused (nothing new is read), past ``LANDING_WAIT`` and
    once the last one lands."""
    from usage_top.sim.faults import Faults

    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.cancel_account_timers()
        app.fleet["openai"].sim_server.sim.set_faults(Faults(latency=4.0))
        clock.advance(minutes=1)
        await pilot.press("r")
        await _until(pilot, lambda: app.polls_in_flight == {"openai"})
        assert app.polls_in_flight == {"openai"}
        await pilot.press("p")
        shown = app.screen.view
        app.fleet["openai"].sim_server.sim.set_faults(Faults())  # its next requests answer
        await settle(pilot)  # until its poll's worker is done
        assert not app.polls_in_flight and app.paused
        assert app.screen.view == shown  # nothing landed is shown while paused
        assert app.fleet["pubrio"].store.last_success().finished_at == clock.now
