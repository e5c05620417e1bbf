"""pmsync: keeps a services company's sellers and project managers on one page."""

__version__ = "0.1.0"
