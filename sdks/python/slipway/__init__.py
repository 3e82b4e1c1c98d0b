"""Slipway API client, standard library only (Python >= 3.9)."""
import json
import time
import uuid
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace

__all__ = ["SlipwayClient", "SlipwayError"]


class SlipwayError(Exception):
    """An answer in Slipway's error format (status 0 and NETWORK_ERROR for a network failure)."""

    def __init__(self, code, message, status, request_id=None, details=None):
        super().__init__(message)
        self.code, self.message, self.status, self.request_id, self.details = code, message, status, request_id, details


def _ns(value):
    # Attribute access like the contract's example (app.id), dicts stay readable via vars().
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _ns(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_ns(v) for v in value]
    return value


class _Http:
    def __init__(self, base_url, token=None, api_key=None, retries=2, timeout=30):
        self.base_url, self.token, self.api_key, self.retries, self.timeout = base_url.rstrip("/") + "/", token, api_key, retries, timeout

    def request(self, method, path, query=None, body=None):
        q = {k: v for k, v in (query or {}).items() if v is not None}
        url = urllib.parse.urljoin(self.base_url, path) + ("?" + urllib.parse.urlencode(q) if q else "")
        headers = {"accept": "application/json"}
        if self.token:
            headers["authorization"] = "Bearer " + self.token
        elif self.api_key:
            headers["x-api-key"] = self.api_key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if method == "POST":
            # One key for every attempt: a retried POST is answered, not repeated.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as res:
                    text = res.read().decode()
                    return _ns(json.loads(text)) if text else None
            except urllib.error.HTTPError as e:
                text = e.read().decode()
                try:
                    err = json.loads(text).get("error", {})
                except ValueError:
                    err = {}
                raise SlipwayError(err.get("code", "HTTP_%d" % e.code), err.get("message", text), e.code, err.get("requestId"), err.get("details")) from None
            except (urllib.error.URLError, OSError) as e:
                if attempt >= self.retries:
                    raise SlipwayError("NETWORK_ERROR", str(e), 0) from None
                time.sleep(0.2 * 2 ** attempt)


class _Projects:
    def __init__(self, http):
        self._http = http

    def list(self, limit=None, cursor=None, **filters):
        return self._http.request("GET", "api/projects", dict(filters, limit=limit, cursor=cursor))

    def create(self, name, **fields):
        return self._http.request("POST", "api/projects", body=dict(fields, name=name))

    def get(self, project_id):
        return self._http.request("GET", "api/projects/" + urllib.parse.quote(project_id))

    def delete(self, project_id):
        return self._http.request("DELETE", "api/projects/" + urllib.parse.quote(project_id))


class _Applications:
    def __init__(self, http):
        self._http = http

    def list(self, project_id=None, limit=None, cursor=None, **filters):
        return self._http.request("GET", "api/applications", dict(filters, projectId=project_id, limit=limit, cursor=cursor))

    def create(self, **fields):
        if "project_id" in fields:
            fields["projectId"] = fields.pop("project_id")
        return self._http.request("POST", "api/applications", body=fields)

    def get(self, app_id):
        return self._http.request("GET", "api/applications/" + urllib.parse.quote(app_id))

    def deploy(self, app_id, **options):
        return self._http.request("POST", "api/applications/%s/deploy" % urllib.parse.quote(app_id), body=options)

    def logs(self, app_id, follow=False, tail=None):
        """Log lines (follow over SSE is not wired yet: follow=True yields the recent lines)."""
        res = self._http.request("GET", "api/applications/%s/logs" % urllib.parse.quote(app_id), {"tail": tail})
        for line in getattr(res, "data", None) or getattr(res, "lines", None) or []:
            yield line


class SlipwayClient:
    def __init__(self, base_url, token=None, api_key=None, retries=2, timeout=30):
        http = _Http(base_url, token=token, api_key=api_key, retries=retries, timeout=timeout)
        self.projects = _Projects(http)
        self.applications = _Applications(http)
