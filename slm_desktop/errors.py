"""Expected failures: each carries one line a user can act on."""


class UserError(Exception):
    """A failure the user can fix; shown as one line, never a traceback."""


class ModelError(UserError):
    """A model is missing, corrupt or unusable."""


class AudioError(UserError):
    """No microphone, a vanished device, or PortAudio missing."""
