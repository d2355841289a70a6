"""The dashboard: server-rendered pages (Jinja2) with Plotly charts served from the installed package
(no build step, nothing fetched from the internet)."""
