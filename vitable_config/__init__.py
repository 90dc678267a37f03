"""vitable-config: declarative configuration-as-code for the Vitable Connect benefits API."""

__version__ = "0.1.0"
