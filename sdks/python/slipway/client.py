"""A small client over the Slipway REST API.

Keyword arguments are snake_case and sent camelCase (project_id -> projectId);
answers are Resource objects: dicts whose keys also read as attributes, in
either spelling (app.id, deployment.queue_position or deployment.queuePosition).
"""
import json
import re
import time
import uuid
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, Optional

__all__ = ["SlipwayClient", "SlipwayError", "Resource"]

TERMINAL = ("success", "failed", "cancelled")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(values: Dict[str, Any]) -> Dict[str, Any]:
    return {_camel(k): v for k, v in values.items() if v is not None}


class Resource(dict):
    """A JSON object whose keys read as attributes (snake_case or camelCase)."""

    def __getattr__(self, name: str) -> Any:
        for key in (name, _camel(name)):
            if key in self:
                return _wrap(self[key])
        raise AttributeError(name)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, Resource):
        return Resource(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class SlipwayError(Exception):
    """A non-2xx answer (the API's error format), or NETWORK_ERROR with status 0."""

    def __init__(self, code: str, message: str, status: int, request_id: Optional[str] = None, details: Optional[dict] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details = details or {}

    def __repr__(self) -> str:
        return "SlipwayError(%r, %r, status=%r, request_id=%r)" % (self.code, self.message, self.status, self.request_id)


class _Http:
    def __init__(self, base_url: str, token: Optional[str], api_key: Optional[str], retries: int, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.api_key = api_key
        self.retries = max(1, retries)
        self.timeout = timeout

    def headers(self) -> Dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.api_key:
            h["x-api-key"] = self.api_key
        return h

    def url(self, path: str, query: Optional[Dict[str, Any]] = None) -> str:
        q = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in _camel_keys(query or {}).items()}
        return self.base_url + path + ("?" + urllib.parse.urlencode(q) if q else "")

    def request(self, method: str, path: str, query: Optional[Dict[str, Any]] = None, body: Any = None) -> Any:
        headers = self.headers()
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method == "POST":
            # One key across retries: a POST whose answer was lost is not performed twice.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        last: Optional[Exception] = None
        for attempt in range(self.retries):
            req = urllib.request.Request(self.url(path, query), data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as res:
                    text = res.read().decode("utf-8")
                    return _wrap(json.loads(text)) if text else None
            except urllib.error.HTTPError as err:
                raise _error_of(err.code, err.read().decode("utf-8", "replace"), err.headers.get("x-request-id"))
            except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                last = err
                time.sleep(0.2 * 2 ** attempt)
        raise SlipwayError("NETWORK_ERROR", "%s %s failed: %s" % (method, path, last), 0)

    def stream(self, path: str, query: Dict[str, Any]) -> Iterator[Resource]:
        """Server-sent events; reconnects with Last-Event-ID after a dropped connection."""
        last_id: Optional[str] = None
        failures = 0
        while True:
            headers = self.headers()
            headers["Accept"] = "text/event-stream"
            if last_id:
                headers["Last-Event-ID"] = last_id
            try:
                res = urllib.request.urlopen(urllib.request.Request(self.url(path, query), headers=headers), timeout=None)
            except urllib.error.HTTPError as err:
                raise _error_of(err.code, err.read().decode("utf-8", "replace"), err.headers.get("x-request-id"))
            except urllib.error.URLError as err:
                failures += 1
                if failures > 5:
                    raise SlipwayError("NETWORK_ERROR", str(err), 0)
                time.sleep(0.5 * failures)
                continue
            failures = 0
            event, data, event_id = "message", [], None
            try:
                with res:
                    for raw in res:
                        line = raw.decode("utf-8").rstrip("\r\n")
                        if line == "":
                            if event_id is not None:
                                last_id = event_id
                            if data:
                                payload = json.loads("\n".join(data))
                                if event == "end":
                                    return
                                if event == "error":
                                    raise SlipwayError(str(payload.get("code", "STREAM_ERROR")), str(payload.get("message", "")), 200)
                                if event in ("log", "message"):
                                    if event_id is not None:
                                        payload["id"] = event_id
                                    yield Resource(payload)
                            event, data, event_id = "message", [], None
                            continue
                        if line.startswith(":"):
                            continue
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "event":
                            event = value
                        elif field == "data":
                            data.append(value)
                        elif field == "id":
                            event_id = value
            except (ConnectionError, OSError):
                continue  # dropped: resume after last_id


def _error_of(status: int, text: str, request_id: Optional[str]) -> SlipwayError:
    try:
        err = json.loads(text).get("error", {})
    except ValueError:
        err = {"message": text[:500]}
    return SlipwayError(err.get("code", "HTTP_ERROR"), err.get("message", "HTTP %d" % status), status, err.get("requestId", request_id), err.get("details"))


class _Api:
    def __init__(self, http: _Http):
        self._http = http

    def _pages(self, path: str, query: Dict[str, Any]) -> Iterator[Resource]:
        cursor = None
        while True:
            page = self._http.request("GET", path, dict(query, cursor=cursor))
            for item in page.data:
                yield item
            if not page.pagination.get("hasMore") or not page.pagination.get("nextCursor"):
                return
            cursor = page.pagination["nextCursor"]


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Projects(_Api):
    def list(self, limit: Optional[int] = None, cursor: Optional[str] = None, **filters: Any) -> Resource:
        return self._http.request("GET", "/api/projects", dict(filters, limit=limit, cursor=cursor))

    def list_all(self, **filters: Any) -> Iterator[Resource]:
        return self._pages("/api/projects", filters)

    def create(self, name: str, **fields: Any) -> Resource:
        return self._http.request("POST", "/api/projects", body=_camel_keys(dict(fields, name=name)))

    def get(self, project_id: str) -> Resource:
        return self._http.request("GET", "/api/projects/" + _q(project_id))

    def update(self, project_id: str, **fields: Any) -> Resource:
        return self._http.request("PATCH", "/api/projects/" + _q(project_id), body=_camel_keys(fields))

    def delete(self, project_id: str) -> None:
        self._http.request("DELETE", "/api/projects/" + _q(project_id))


class Applications(_Api):
    def list(self, project_id: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None, **filters: Any) -> Resource:
        """One page: `.data` and `.pagination` (project_id is optional, as in the API)."""
        return self._http.request("GET", "/api/applications", dict(filters, project_id=project_id, limit=limit, cursor=cursor))

    def list_all(self, project_id: Optional[str] = None, **filters: Any) -> Iterator[Resource]:
        return self._pages("/api/applications", dict(filters, project_id=project_id))

    def create(self, name: str, project_id: str, **fields: Any) -> Resource:
        return self._http.request("POST", "/api/applications", body=_camel_keys(dict(fields, name=name, project_id=project_id)))

    def get(self, app_id: str) -> Resource:
        return self._http.request("GET", "/api/applications/" + _q(app_id))

    def update(self, app_id: str, **fields: Any) -> Resource:
        return self._http.request("PATCH", "/api/applications/" + _q(app_id), body=_camel_keys(fields))

    def delete(self, app_id: str) -> None:
        self._http.request("DELETE", "/api/applications/" + _q(app_id))

    def deploy(self, app_id: str, **fields: Any) -> Resource:
        """Queues a deployment; the answer has deployment_id (wait with client.deployments.wait)."""
        return self._http.request("POST", "/api/applications/%s/deploy" % _q(app_id), body=_camel_keys(fields))

    def scale(self, app_id: str, replicas: int) -> Resource:
        return self._http.request("POST", "/api/applications/%s/scale" % _q(app_id), body={"replicas": replicas})

    def restart(self, app_id: str) -> Resource:
        return self._http.request("POST", "/api/applications/%s/restart" % _q(app_id))

    def stop(self, app_id: str) -> Resource:
        return self._http.request("POST", "/api/applications/%s/stop" % _q(app_id))

    def start(self, app_id: str) -> Resource:
        return self._http.request("POST", "/api/applications/%s/start" % _q(app_id))

    def logs(self, app_id: str, follow: bool = False, tail: Optional[int] = None, since: Optional[str] = None) -> Iterator[Resource]:
        """Log lines (each with .message, .timestamp); follow=True keeps streaming them (SSE)."""
        path = "/api/applications/%s/logs" % _q(app_id)
        if follow:
            return self._http.stream(path, {"follow": True, "tail": tail, "since": since})
        return iter(self._http.request("GET", path, {"tail": tail, "since": since}).logs)


class Deployments(_Api):
    def list(self, limit: Optional[int] = None, cursor: Optional[str] = None, **filters: Any) -> Resource:
        return self._http.request("GET", "/api/deployments", dict(filters, limit=limit, cursor=cursor))

    def get(self, deployment_id: str) -> Resource:
        return self._http.request("GET", "/api/deployments/" + _q(deployment_id))

    def wait(self, deployment_id: str, on_progress=None, interval: float = 1.0, timeout: float = 900.0) -> Resource:
        """Polls until success, failed or cancelled; on_progress(deployment) on every change."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            d = self.get(deployment_id)
            key = (d.status, d.progress)
            if on_progress and key != last:
                on_progress(d)
            last = key
            if d.status in TERMINAL:
                return d
            if time.monotonic() > deadline:
                raise SlipwayError("TIMEOUT", "deployment %s still %s" % (deployment_id, d.status), 0)
            time.sleep(interval)

    def rollback(self, deployment_id: str) -> Resource:
        return self._http.request("POST", "/api/deployments/%s/rollback" % _q(deployment_id))


class Databases(_Api):
    def list(self, project_id: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None, **filters: Any) -> Resource:
        return self._http.request("GET", "/api/databases", dict(filters, project_id=project_id, limit=limit, cursor=cursor))

    def create(self, name: str, project_id: str, type: str, version: str, **fields: Any) -> Resource:
        return self._http.request("POST", "/api/databases", body=_camel_keys(dict(fields, name=name, project_id=project_id, type=type, version=version)))

    def get(self, database_id: str) -> Resource:
        return self._http.request("GET", "/api/databases/" + _q(database_id))

    def delete(self, database_id: str) -> None:
        self._http.request("DELETE", "/api/databases/" + _q(database_id))

    def connection(self, database_id: str) -> Resource:
        return self._http.request("GET", "/api/databases/%s/connection" % _q(database_id))

    def backup(self, database_id: str, **fields: Any) -> Resource:
        return self._http.request("POST", "/api/databases/%s/backup" % _q(database_id), body=_camel_keys(fields))

    def backups(self, database_id: str) -> Resource:
        return self._http.request("GET", "/api/databases/%s/backups" % _q(database_id))


class SlipwayClient:
    """SlipwayClient(base_url='http://localhost:3000', token='…') or api_key='…'."""

    def __init__(self, base_url: str, token: Optional[str] = None, api_key: Optional[str] = None, retries: int = 3, timeout: float = 30.0):
        self._http = _Http(base_url, token, api_key, retries, timeout)
        self.projects = Projects(self._http)
        self.applications = Applications(self._http)
        self.deployments = Deployments(self._http)
        self.databases = Databases(self._http)

    def login(self, username: str, password: str) -> Resource:
        """Logs in and uses the returned token from then on."""
        res = self._http.request("POST", "/api/auth/login", body={"username": username, "password": password})
        self._http.token = res.token
        return res
