"""Where a database URL comes from: an explicit URL, a named instance, or the default.

Named instances let code and the command line say ``"prod"`` instead of a full URL::

    # ~/.config/lamin_registry/instances.toml   (or the file $LAMIN_REGISTRY_CONFIG names)
    [instances]
    prod = "postgresql+psycopg://reader@db.example.org/registry"
    local = "sqlite:////home/me/registry.db"

    # or, per name, an environment variable (it wins over the file):
    export LAMIN_REGISTRY_INSTANCE_PROD="postgresql+psycopg://reader@db.example.org/registry"

The variable's suffix is the name upper-cased with every character other than ``A-Z``,
``0-9`` and ``_`` replaced by ``_`` (``my-lab`` -> ``LAMIN_REGISTRY_INSTANCE_MY_LAB``).
Names are case-insensitive. This module only resolves names; it never connects.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import sqlalchemy as sa

from .errors import InvalidArgument

CONFIG_ENV = "LAMIN_REGISTRY_CONFIG"
"""Environment variable naming the config file (default :data:`DEFAULT_CONFIG_PATH`)."""

INSTANCE_ENV_PREFIX = "LAMIN_REGISTRY_INSTANCE_"
"""``LAMIN_REGISTRY_INSTANCE_<NAME>=url`` names an instance (wins over the config file)."""

DEFAULT_CONFIG_PATH = Path("~/.config/lamin_registry/instances.toml")

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "INSTANCE_ENV_PREFIX",
    "config_path",
    "default_url",
    "env_name",
    "hide_password",
    "instance_url",
    "is_url",
    "named_instances",
    "resolve",
]


def config_path() -> Path:
    """The config file: ``$LAMIN_REGISTRY_CONFIG``, else the default path.

    The default is ``~/.config/lamin_registry/instances.toml``.
    """
    configured = os.environ.get(CONFIG_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_CONFIG_PATH.expanduser()


def env_name(name: str) -> str:
    """The environment variable naming instance ``name``: ``LAMIN_REGISTRY_INSTANCE_<NAME>``."""
    return INSTANCE_ENV_PREFIX + re.sub(r"[^A-Z0-9_]", "_", name.upper())


def _file_instances() -> dict[str, str]:
    """``{name (lower-cased): url}`` from the config file's ``[instances]`` table."""
    path = config_path()
    if not path.is_file():
        if os.environ.get(CONFIG_ENV):
            raise InvalidArgument(
                f"${CONFIG_ENV} names {str(path)!r}, which is not a file; create it with an "
                "[instances] table (name = \"url\") or unset the variable"
            )
        return {}
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidArgument(f"Cannot read the instances config {str(path)!r}: {error}") from None
    table = data.get("instances", {})
    if not isinstance(table, dict):
        raise InvalidArgument(
            f"{str(path)!r}: [instances] must be a table of name = \"url\" entries"
        )
    found: dict[str, str] = {}
    for name, url in table.items():
        if not isinstance(url, str) or not url:
            raise InvalidArgument(
                f"{str(path)!r}: instance {name!r} must be a URL string, got {url!r}"
            )
        found[name.lower()] = url
    return found


def _env_instances() -> dict[str, str]:
    """``{name (lower-cased): url}`` from ``LAMIN_REGISTRY_INSTANCE_*`` variables."""
    return {
        key.removeprefix(INSTANCE_ENV_PREFIX).lower(): value
        for key, value in os.environ.items()
        if key.startswith(INSTANCE_ENV_PREFIX) and len(key) > len(INSTANCE_ENV_PREFIX) and value
    }


def named_instances() -> dict[str, str]:
    """Every named instance, ``{name: url}``: the config file's, overridden by the environment.

    Names are lower-cased; names from environment variables appear as their variable
    suffix (``LAMIN_REGISTRY_INSTANCE_MY_LAB`` -> ``my_lab``).
    """
    instances = _file_instances()
    for name, url in _env_instances().items():
        # the variable for "my-lab" is ..._MY_LAB: let it override the file's "my-lab"
        for file_name in [n for n in instances if env_name(n) == env_name(name)]:
            del instances[file_name]
        instances[name] = url
    return dict(sorted(instances.items()))


def instance_url(name: str) -> str:
    """The URL of the named instance ``name`` (environment first, then the config file).

    Raises:
        InvalidArgument: no instance has that name (the message lists the known names and
            where they are looked up), or the config file is unreadable.
    """
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"An instance name must be a non-empty string, got {name!r}")
    from_env = os.environ.get(env_name(name))
    if from_env:
        return from_env
    file_instances = _file_instances()
    for candidate, url in file_instances.items():
        if env_name(candidate) == env_name(name):
            return url
    known = ", ".join(named_instances()) or "none"
    looks_like_path = "/" in name or "\\" in name or Path(name).suffix.lower() in (
        ".db", ".sqlite", ".sqlite3"
    )
    hint = f" For a SQLite file write the URL sqlite:///{name}." if looks_like_path else ""
    raise InvalidArgument(
        f"Unknown instance {name!r} (known: {known}). Name it in the [instances] table of "
        f"{str(config_path())!r} or set ${env_name(name)} to its URL.{hint}"
    )


def is_url(value: str | sa.URL) -> bool:
    """Whether ``value`` is a database URL (``dialect://...``) rather than an instance name."""
    return isinstance(value, sa.URL) or "://" in value


def default_url() -> str:
    """The URL ``lr.connect()`` uses without one: ``$LAMIN_REGISTRY_URL``, else the SQLite file."""
    from .instance import DEFAULT_URL, URL_ENV

    return os.environ.get(URL_ENV) or DEFAULT_URL


def resolve(url_or_name: str | sa.URL | None = None) -> str | sa.URL:
    """A database URL from a URL, an instance name, or None (:func:`default_url`)."""
    if url_or_name is None:
        return default_url()
    if isinstance(url_or_name, sa.URL):
        return url_or_name
    if not isinstance(url_or_name, str) or not url_or_name:
        raise InvalidArgument(
            f"Expected a database URL or an instance name, got {url_or_name!r}"
        )
    return url_or_name if is_url(url_or_name) else instance_url(url_or_name)


def hide_password(url: str | sa.URL) -> str:
    """``url`` as a string with its password (if any) shown as ``***``."""
    from .diagnostics import shown_url

    return shown_url(url)
