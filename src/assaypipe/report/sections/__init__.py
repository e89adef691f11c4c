"""The report's sections, one module each, in the page's order; each ``render(ctx)``
gives its section's HTML from the :class:`~assaypipe.report.context.ReportContext`."""
