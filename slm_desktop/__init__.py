"""slm-desktop: an offline assistant desktop app run by small local models."""

__version__ = "0.1.0"
