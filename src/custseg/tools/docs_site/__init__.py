"""The docs site's pictures and checks: read the built warehouse, draw the segmentation
figures, write the dbt ``__overview__`` docs block, check that everything is described, and
open the static site in headless Chromium. The command line: ``python -m custseg.tools.docs_site``."""
