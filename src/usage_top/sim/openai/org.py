"""The seeded organisation: projects, people, service accounts and API keys.

The first projects and keys come from fixed templates, so the demo tells a
story (a busy production chat key, an embeddings indexer, a weekday-only CI
key, a deleted key whose usage history remains but which no listing returns,
a key nobody named); asking for more adds plain generated ones. Identifiers
are derived from the seed, so the same seed gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from usage_top.sim.openai import catalogue as cat

HISTORY_DAYS = 90


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    created_at: int
    vector_store_gb: float
    """Vector storage at the history start (0: the project uses none)."""


@dataclass(frozen=True)
class Person:
    """A user or a service account that owns keys."""

    id: str
    name: str
    email: str | None
    role: str
    created_at: int

    @property
    def is_service_account(self) -> bool:
        return self.email is None


@dataclass(frozen=True)
class ApiKey:
    """A project API key and its traffic.

    rate: requests on an ordinary weekday, all its models together.
    mix: (model index in ``catalogue.MODELS``, share of requests).
    weekend: weekend volume relative to a weekday.
    first_day / last_day: when it was in use (last_day None: still is).
    listed: whether project listings return it (False: deleted).
    """

    id: str
    name: str
    redacted_value: str
    project: int
    owner: Person
    rate: float
    mix: tuple[tuple[int, float], ...]
    weekend: float
    first_day: dt.date
    last_day: dt.date | None
    listed: bool

    def active_on(self, day: dt.date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


_PROJECTS = (
    ("Default project", 0.0),
    ("Support assistant", 1.6),
    ("Search & embeddings", 7.5),
    ("Research sandbox", 0.0),
)
_PEOPLE = (
    ("Ada Byron", "ada@example.com", "owner"),
    ("Grace Hopper", "grace@example.com", "member"),
    ("Linus Pauling", "linus@example.com", "member"),
)

_M = {model.name: i for i, model in enumerate(cat.MODELS)}
_4O, _MINI, _O3 = _M["gpt-4o-2024-08-06"], _M["gpt-4o-mini-2024-07-18"], _M["o3-mini-2025-01-31"]
_KEYS = (
    # name, project, owner (person index, -1: the project's service account),
    # weekday requests, model mix, weekend factor, first used (days before the
    # anchor), last used (days before the anchor, None: still in use), listed
    ("prod-chat", 0, -1, 1800, ((_MINI, 0.7), (_4O, 0.3)), 0.6, 400, None, True),
    ("prod-chat-fallback", 0, -1, 240, ((_4O, 1.0),), 0.6, 300, None, True),
    (
        "support-triage", 1, 0, 900,
        ((_MINI, 0.6), (_O3, 0.2), (_M["omni-moderation-latest"], 0.2)), 0.45, 200, None, True,
    ),
    (
        "support-voice", 1, -1, 120, ((_M["whisper-1"], 0.6), (_M["tts-1"], 0.4)),
        0.45, 75, None, True,
    ),
    ("indexer", 2, -1, 2500, ((_M["text-embedding-3-small"], 1.0),), 0.9, 365, None, True),
    ("search-rerank", 2, 1, 400, ((_MINI, 0.8), (_O3, 0.2)), 0.5, 120, None, True),
    (
        "notebook-ada", 3, 0, 150,
        ((_O3, 0.45), (_4O, 0.3), (_M["dall-e-3"], 0.15), (_M["code-interpreter"], 0.1)),
        0.3, 60, None, True,
    ),
    ("", 3, 2, 60, ((_4O, 0.6), (_M["dall-e-3"], 0.4)), 0.3, 45, None, True),
    (
        "ci-evals", 0, 1, 300, ((_MINI, 0.5), (_O3, 0.4), (_M["code-interpreter"], 0.1)),
        0.03, 150, None, True,
    ),
    ("old-prototype", 1, 2, 200, ((_4O, 1.0),), 0.4, 200, 20, False),
)
_EXTRA_MIX = ((_MINI, 1.0),)



def _token(seed: int, *parts: object, length: int) -> str:
    """A stable alphanumeric token: ids and redacted key tails."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).hexdigest()
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    number = int(digest, 16)
    out = []
    for _ in range(length):
        number, index = divmod(number, len(letters))
        out.append(letters[index])
    return "".join(out)


def _unix(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(9, 30), dt.UTC).timestamp())


class Organisation:
    """Projects, people and keys of a seeded organisation around ``anchor`` (a UTC date)."""

    def __init__(self, seed: int, anchor: dt.date, projects: int = 4, keys: int = 10) -> None:
        if projects < 1 or keys < 1:
            raise ValueError("an organisation needs at least one project and one key")
        self.seed = seed
        self.id = f"org-{_token(seed, 'org', length=24)}"
        self.history_start = anchor - dt.timedelta(days=HISTORY_DAYS)
        founded = anchor - dt.timedelta(days=420)
        self.projects = tuple(self._project(i, founded) for i in range(projects))
        self.people = tuple(
            Person(f"user-{_token(seed, 'user', i, length=24)}", name, email, role, _unix(founded))
            for i, (name, email, role) in enumerate(_PEOPLE)
        )
        self.service_accounts = tuple(
            Person(f"svc_acct_{_token(seed, 'svc', i, length=20)}", f"{p.name} service", None,
                   "member", p.created_at)
            for i, p in enumerate(self.projects)
        )
        self.keys = tuple(self._key(i, anchor) for i in range(keys))

    def _project(self, index: int, founded: dt.date) -> Project:
        name, gb = _PROJECTS[index] if index < len(_PROJECTS) else (f"Project {index + 1}", 0.0)
        created = founded + dt.timedelta(days=7 * index)
        project_id = f"proj_{_token(self.seed, 'project', index, length=24)}"
        return Project(project_id, name, _unix(created), gb)

    def _key(self, index: int, anchor: dt.date) -> ApiKey:
        if index < len(_KEYS):
            name, project, owner, rate, mix, weekend, first, last, listed = _KEYS[index]
        else:
            name, project, owner, rate, mix, weekend, first, last, listed = (
                f"key-{index + 1}", index, -1, 100, _EXTRA_MIX, 0.5, 100, None, True
            )
        project %= len(self.projects)
        person = self.service_accounts[project] if owner < 0 else self.people[owner]
        prefix = "sk-svcacct-" if person.is_service_account else "sk-proj-"
        return ApiKey(
            id=f"key_{_token(self.seed, 'key', index, length=16)}",
            name=name,
            redacted_value=f"{prefix}...{_token(self.seed, 'tail', index, length=4)}",
            project=project,
            owner=person,
            rate=rate,
            mix=mix,
            weekend=weekend,
            first_day=max(anchor - dt.timedelta(days=first), self.history_start),
            last_day=None if last is None else anchor - dt.timedelta(days=last),
            listed=listed,
        )

    def project_index(self, project_id: str) -> int | None:
        """The index of the project with this id (None: no such project)."""
        return next((i for i, p in enumerate(self.projects) if p.id == project_id), None)
