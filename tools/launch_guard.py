"""Sphinx extension: launch buttons only once the book's repository address is configured.

sphinx-book-theme builds each launch link (BinderHub, JupyterHub, Colab) from ``repository.url`` in
``_config.yml`` and fails on a notebook page when that address is empty. This book has no public
address yet, so until one is set the launch providers are switched off here (with an info line in
the build log, not a warning); the moment ``repository.url`` is set, the configured buttons appear,
opening the chapters in JupyterLab.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
PROVIDERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url")


def _guard(app: Sphinx, config: Config) -> None:
    options = config.html_theme_options
    launch = options.get("launch_buttons") or {}
    if options.get("repository_url"):
        return
    enabled = [key for key in PROVIDERS if launch.get(key)]
    if enabled:
        LOGGER.info("launch buttons off until repository.url is set in _config.yml (%s)", ", ".join(enabled))
        options["launch_buttons"] = {key: value for key, value in launch.items() if key not in PROVIDERS}


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _guard, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
