"""Where the server's API key lives: the system keyring (the `keyring` package: Secret Service, KWallet,
macOS Keychain, Windows Credential Locker) when one exists, else the settings file, which is written
readable by the user only (0600, config.save_settings). `keyring` is imported only when a key is needed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging

from slm_desktop.config import ServerSettings

log = logging.getLogger(__name__)

SERVICE = "slm-desktop"
USERNAME = "server-api-key"


def keyring_name() -> str:
    """The usable system keyring's name, or "" when there is none (keyring's fail/null backends)."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring set-up must not stop the app
        log.info("no system keyring: %s", exc)
        return ""
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return ""
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return ""
    return getattr(backend, "name", backend.__class__.__name__)


def where_stored(backend: str) -> str:
    """The line the settings page shows under the key."""
    if backend:
        return f"Stored in the system keyring ({backend})."
    return "No system keyring found: stored in settings.toml, readable only by you (0600)."


def load_key(settings: ServerSettings, backend: str | None = None) -> str:
    """The key to send; "" when none. Nothing is looked up while the server is off."""
    if not settings.enabled:
        return ""
    if settings.api_key:
        return settings.api_key
    backend = keyring_name() if backend is None else backend
    if not backend:
        return ""
    import keyring

    try:
        return keyring.get_password(SERVICE, USERNAME) or ""
    except Exception as exc:
        log.warning("the API key could not be read from the keyring: %s", exc)
        return ""


def store_key(settings: ServerSettings, key: str, backend: str | None = None) -> ServerSettings:
    """Keep `key` in the keyring when there is one (and out of the file), else in the settings file."""
    backend = keyring_name() if backend is None else backend
    if not backend:
        return dataclasses.replace(settings, api_key=key)
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        if key:
            keyring.set_password(SERVICE, USERNAME, key)
        else:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(SERVICE, USERNAME)
    except Exception as exc:
        log.warning("the keyring refused the API key (%s): keeping it in the settings file", exc)
        return dataclasses.replace(settings, api_key=key)
    return dataclasses.replace(settings, api_key="")
