"""Send scans the way the scanner page does: through the sync API, one scan per call here."""
from __future__ import annotations

import uuid
from typing import Any


def scan_once(client: Any, event: Any, **scan: Any) -> dict[str, Any]:
    """POST one scan (a fresh client_scan_id unless given); return {"result": …, "stats": …}."""
    body = {"client_scan_id": str(uuid.uuid4()), **scan}
    resp = client.post(f"/api/events/{event.id}/sync", json={"scans": [body]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    return {"result": data["results"][0], "stats": data["stats"]}
