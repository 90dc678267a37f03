"""The config language: layered YAML → :class:`~vitable_config.desired.DesiredState`.

Public API::

    from vitable_config.config import load_config, render_state, dump_plan_years

No API calls happen here.
"""

from vitable_config.config.build import load_config
from vitable_config.config.output import dump_document, dump_plan_years, render_state

__all__ = ["dump_document", "dump_plan_years", "load_config", "render_state"]
