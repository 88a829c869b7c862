"""Where models, settings and recovery files live. Computed, never created at import."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "slm-desktop"


def repo_root() -> Path:
    """The source checkout, or the folder of a frozen bundle's executable."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    frozen_dir = getattr(sys, "_MEIPASS", None)
    return Path(frozen_dir) / "resources" if frozen_dir else repo_root() / "resources"


def shipped_models_dirs() -> list[Path]:
    """models/ in the checkout or next to the frozen executable (where users may drop models too),
    then the models a frozen bundle carries inside its contents folder (sys._MEIPASS/models)."""
    dirs = [repo_root() / "models"]
    frozen_dir = getattr(sys, "_MEIPASS", None)
    if frozen_dir and Path(frozen_dir).resolve() != repo_root():
        dirs.append(Path(frozen_dir).resolve() / "models")
    return dirs


def ct2_install_hint() -> str:
    """CTranslate2 is core (Whisper runs on it): only a bundle built with `build.sh --exclude` lacks it."""
    if getattr(sys, "frozen", False):
        return f"this {APP_NAME} build leaves CTranslate2 out; install the full bundle or the .deb"
    return "pip install ctranslate2 sentencepiece"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    models_env: Path | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str]) -> AppPaths:
        """Only app.main()/cli.main() call this; everything else receives an AppPaths."""
        models_env = environ.get("SLM_DESKTOP_MODELS")
        config = environ.get("SLM_DESKTOP_CONFIG_DIR")
        data = environ.get("SLM_DESKTOP_DATA_DIR")
        return cls(
            config_dir=Path(config) if config else Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(data) if data else Path(platformdirs.user_data_dir(APP_NAME)),
            models_env=Path(models_env) if models_env else None,
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def user_models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def recovery_dir(self) -> Path:
        return self.data_dir / "recovery"

    @property
    def install_dir(self) -> Path:
        """Where installs and imports go: $SLM_DESKTOP_MODELS if set, else the user data dir."""
        return self.models_env or self.user_models_dir

    def model_search_path(self) -> list[Path]:
        """$SLM_DESKTOP_MODELS, then the user data dir's models/, then the shipped models/."""
        dirs = [self.models_env] if self.models_env else []
        dirs += [self.user_models_dir, *shipped_models_dirs()]
        return [d for d in dirs if d.is_dir()]

    def find_model(self, name: str) -> Path | None:
        for folder in self.model_search_path():
            candidate = folder / name
            if candidate.exists():
                return candidate
        return None

    def find_models(self, pattern: str) -> list[Path]:
        """Every match of a glob across the search path, earlier folders first."""
        seen: set[str] = set()
        found = []
        for folder in self.model_search_path():
            for path in sorted(folder.glob(pattern)):
                if path.name not in seen:
                    seen.add(path.name)
                    found.append(path)
        return found
