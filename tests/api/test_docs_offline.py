"""/docs and /redoc work without the internet: their HTML names only this server's URLs (no CDN, no
Google fonts) and each of those URLs answers 200 with the asset (the installed package's Swagger UI and
ReDoc bundles)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_only_local_assets(make_api, page: str) -> None:  # type: ignore[no-untyped-def]
    c, _ = make_api(())
    r = c.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)) | set(re.findall(r"""url: *['"]([^'"]+)['"]""", r.text))
    urls |= set(re.findall(r"""spec-url=["']([^"']+)["']""", r.text))
    assert urls, r.text[:500]
    assert "/openapi.json" in urls and any(u.endswith(".js") for u in urls)
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        got = c.get(url)
        assert got.status_code == 200 and len(got.content) > 1000, (url, got.status_code)
