"""The studio's mock enterprise world in Python: a port of src/tools/enterprise/executors.ts (and the JSON Schema
checks of src/tools/validate-args.ts that run before each call), standard library only.

The seeded reference data (employees, rooms, orders, ...) is not regenerated here: the exporter writes the studio's
own universe and the sample tools' schemas to world_data.json beside this file, so both sides start from the same
records and check arguments against the same schemas. A world is stateful
(booking a room makes it busy, a leave request lowers the balance) and deterministic (no clock, no randomness).

    world = EnterpriseWorld.default()
    world.execute("queryWeather", {"city": "北京", "date": "2025-06-03"})  # {"ok": True, "result": {...}}

Results and errors match the TypeScript executors: the export test runs every call of the sample data through both.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def js_json(value: Any) -> str:
    """JSON.stringify(value): no spaces, non-ASCII as is (the tool-result text the studio's chains carry)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def js_quote(value: Any) -> str:
    """JSON.stringify of a value inside an error message (undefined -> "undefined", as template strings print it)."""
    return "undefined" if value is _MISSING else js_json(value)


_MISSING = object()


class ToolExecutionError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _fail(kind: str, message: str):
    raise ToolExecutionError(kind, message)


WEATHER = [
    ("sunny", "晴"), ("partly cloudy", "多云"), ("overcast", "阴"),
    ("light rain", "小雨"), ("thunderstorm", "雷阵雨"), ("heavy rain", "大雨"),
]
LEAVE_TYPES = ["annual", "sick", "personal"]


def fnv1a(text: str) -> int:
    """FNV-1a over UTF-16 code units, as the TypeScript hash reads charCodeAt."""
    h = 0x811C9DC5
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = ((h ^ (units[i] | (units[i + 1] << 8))) * 0x01000193) & 0xFFFFFFFF
    return h


def add_days(date: str, days: int) -> str:
    return (_dt.date.fromisoformat(date) + _dt.timedelta(days=days)).isoformat()


def working_days(start: str, end: str) -> int:
    n = 0
    d = start
    while d <= end:
        if _dt.date.fromisoformat(d).weekday() < 5:
            n += 1
        d = add_days(d, 1)
    return n


def check_slot(start: str, end: str) -> None:
    if start >= end:
        _fail("invalid_request", f"endTime {end} must be after startTime {start}")


def overlaps(a: dict, b: dict) -> bool:
    return a["startTime"] < b["endTime"] and b["startTime"] < a["endTime"]


def _norm_city(s: str) -> str:
    return re.sub(r"[\s'_-]+", "", s.strip().lower())


def find_city(cities: list, query: str):
    q = _norm_city(query)
    for c in cities:
        if any(_norm_city(n) == q for n in (c["id"], c["nameEn"], c["nameZh"])):
            return c
    return None


def _str(v: Any):
    return v if isinstance(v, str) else None


# ---------------------------------------------------------------------------------------------- schema checks
# The keywords the tool schemas use, with ajv's verdicts and src/tools/validate-args.ts's messages.

_JS_TYPE = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_BFCL_TYPES = {"dict": "object", "float": "number", "tuple": "array", "int": "integer", "bool": "boolean", "str": "string", "list": "array", "any": None}
_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _full_date(s: str) -> bool:
    m = re.fullmatch(r"(\d\d\d\d)-(\d\d)-(\d\d)", s, re.ASCII)
    if not m:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return 1 <= mo <= 12 and 1 <= d <= (29 if mo == 2 and leap else _DAYS[mo])


def _js_pattern(pattern: str):
    # JSON Schema patterns are ECMAScript regexes: an unescaped $ is the very end (Python's $ also matches before a
    # final newline), \d is ASCII only.
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        out.append("\\Z" if c == "$" and not in_class else c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _schema_errors(schema: dict, data: Any, path: str) -> list:
    """(keyword, instancePath, params, data) for every problem, like ajv with allErrors."""
    errors = []
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        types = [_BFCL_TYPES.get(x, x) for x in types]
        if None not in types and not any(_JS_TYPE.get(x, lambda v: False)(data) for x in types):
            errors.append(("type", path, {"type": ",".join(types)}, data))
    if isinstance(schema.get("enum"), list) and not any(_json_equal(e, data) for e in schema["enum"]):
        errors.append(("enum", path, {"allowedValues": schema["enum"]}, data))
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        for key, ok, cmp in (("minimum", lambda l: data >= l, ">="), ("exclusiveMinimum", lambda l: data > l, ">"),
                             ("maximum", lambda l: data <= l, "<="), ("exclusiveMaximum", lambda l: data < l, "<")):
            if isinstance(schema.get(key), (int, float)) and not ok(schema[key]):
                errors.append((key, path, {"comparison": cmp, "limit": schema[key]}, data))
    if isinstance(data, str):
        if isinstance(schema.get("minLength"), int) and len(data) < schema["minLength"]:
            errors.append(("minLength", path, {"limit": schema["minLength"]}, data))
        if isinstance(schema.get("maxLength"), int) and len(data) > schema["maxLength"]:
            errors.append(("maxLength", path, {"limit": schema["maxLength"]}, data))
        if isinstance(schema.get("pattern"), str) and not _js_pattern(schema["pattern"]).search(data):
            errors.append(("pattern", path, {"pattern": schema["pattern"]}, data))
        if schema.get("format") == "date" and not _full_date(data):
            errors.append(("format", path, {"format": "date"}, data))
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(data):
            errors.extend(_schema_errors(schema["items"], item, f"{path}/{i}"))
    if isinstance(data, dict):
        for r in schema.get("required", []) or []:
            if r not in data:
                errors.append(("required", path, {"missingProperty": r}, data))
        props = schema.get("properties", {}) or {}
        # ajv's order: required, then additionalProperties, then each property in the schema's order.
        if schema.get("additionalProperties") is False:
            errors.extend(("additionalProperties", path, {"additionalProperty": k}, data) for k in data if k not in props)
        for k, sub in props.items():
            if k in data:
                errors.extend(_schema_errors(sub, data[k], f"{path}/{k.replace('~', '~0').replace('/', '~1')}"))
    return errors


_AJV_MESSAGE = {
    "minimum": lambda p: f"must be >= {_num(p['limit'])}", "exclusiveMinimum": lambda p: f"must be > {_num(p['limit'])}",
    "maximum": lambda p: f"must be <= {_num(p['limit'])}", "exclusiveMaximum": lambda p: f"must be < {_num(p['limit'])}",
    "minLength": lambda p: f"must NOT have fewer than {p['limit']} characters",
    "maxLength": lambda p: f"must NOT have more than {p['limit']} characters",
    "pattern": lambda p: f'must match pattern "{p["pattern"]}"',
}


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def describe_error(tool: str, err: tuple) -> str:
    """One schema problem as validate-args.ts words it."""
    keyword, path, params, data = err
    where = f'argument "{path[1:].replace("/", ".")}"' if path else "arguments"
    if keyword == "required":
        msg = f'missing required argument "{params["missingProperty"]}"'
    elif keyword == "additionalProperties":
        msg = f'unexpected argument "{params["additionalProperty"]}"'
    elif keyword == "enum":
        msg = f"{where} must be one of {js_json(params['allowedValues'])}, got {js_json(data)}"
    elif keyword == "format":
        msg = f'{where} must match format "{params["format"]}", got {js_json(data)}'
    elif keyword == "type":
        msg = f"{where} must be {params['type']}, got {js_json(data)}"
    else:
        got = f" (got {js_json(data)})" if not isinstance(data, (dict, list)) else ""
        msg = f"{where} {_AJV_MESSAGE[keyword](params)}{got}"
    return f"{tool}: {msg}"


# ---------------------------------------------------------------------------------------------- the world


class EnterpriseWorld:
    """Mutable state of one run (one rollout), seeded from the reference data."""

    def __init__(self, data: dict, tools: list):
        self.data = data
        self.schemas = {t["function"]["name"]: t["function"].get("parameters") or {"type": "object"} for t in tools}
        self.leave_balance = {e["id"]: dict(e["leaveBalance"]) for e in data["employees"]}
        self.leave_requests: list = []
        # Records are replaced or appended, never edited inside (an order's status is the one field that changes):
        # a copy of each record is enough.
        self.bookings = [dict(x) for x in data["bookings"]]
        self.events = [dict(x) for x in data["events"]]
        self.orders = [dict(x) for x in data["orders"]]
        self.tickets = [dict(x) for x in data["tickets"]]
        self.expenses = [dict(x) for x in data["expenses"]]
        self.counters = {"LR": 0, "BK": len(data["bookings"])}

    @staticmethod
    def default() -> "EnterpriseWorld":
        """The world of world_data.json beside this file: the studio's seeded records and the sample tools' schemas."""
        with open(os.path.join(HERE, "world_data.json"), encoding="utf-8") as f:
            saved = json.load(f)
        return EnterpriseWorld(saved["world"], saved["tools"])

    def fresh(self) -> "EnterpriseWorld":
        """A new world at the start state (the reference data is shared, never mutated)."""
        return EnterpriseWorld(self.data, [{"function": {"name": n, "parameters": s}} for n, s in self.schemas.items()])

    def snapshot(self) -> dict:
        """The state two chains are compared by, as ToolWorld.snapshot: the records, not the id counters (two chains
        that reach the same records are equivalent). Compare snapshots with bfcl_match.json_equal."""
        return {
            "leaveBalance": self.leave_balance, "leaveRequests": self.leave_requests, "bookings": self.bookings,
            "events": self.events, "orders": [{"id": o["id"], "status": o["status"]} for o in self.orders],
            "tickets": self.tickets, "expenses": self.expenses,
        }

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.counters[prefix]:04d}"

    def employee(self, eid: Any) -> dict:
        for e in self.data["employees"]:
            if e["id"] == eid:
                return e
        _fail("not_found", f"no employee with id {js_quote(eid)}")

    def execute(self, name: str, arguments: dict) -> dict:
        """{"ok": True, "result": ...} or {"ok": False, "error": {"type", "message"}}, as ToolWorld.execute."""
        run = EXECUTORS.get(name)
        if run is None:
            return {"ok": False, "error": {"type": "unknown_tool", "message": f'unknown tool "{name}"'}}
        if name not in self.schemas:
            return {"ok": False, "error": {"type": "invalid_arguments", "message": f'unknown tool "{name}"'}}
        problems = _schema_errors(self.schemas[name], arguments, "")
        if problems:
            return {"ok": False, "error": {"type": "invalid_arguments", "message": "; ".join(describe_error(name, p) for p in problems)}}
        try:
            return {"ok": True, "result": run(self, arguments)}
        except ToolExecutionError as e:
            return {"ok": False, "error": {"type": e.kind, "message": f"{name}: {e.message}"}}

    # --- helpers shared by several tools

    def add_leave_request(self, a: dict) -> dict:
        emp = self.employee(a.get("employeeId", _MISSING))
        kind, start, end = a["leaveType"], a["startDate"], a["endDate"]
        today = self.data["today"]
        if end < start:
            _fail("invalid_request", f"endDate {end} is before startDate {start}")
        if start < today:
            _fail("invalid_request", f"startDate {start} is in the past (today is {today})")
        days = working_days(start, end)
        if days == 0:
            _fail("invalid_request", f"{start}..{end} has no working days")
        if any(r["employeeId"] == emp["id"] and r["startDate"] <= end and start <= r["endDate"] for r in self.leave_requests):
            _fail("conflict", f"{emp['id']} already has leave overlapping {start}..{end}")
        balance = self.leave_balance[emp["id"]]
        if balance[kind] < days:
            _fail("insufficient_balance", f"{emp['id']} has {balance[kind]} {kind} leave days left, {days} requested")
        balance[kind] -= days
        req = {"id": self.next_id("LR"), "employeeId": emp["id"], "leaveType": kind, "startDate": start, "endDate": end,
               "days": days, "reason": _str(a.get("reason")) or "", "status": "approved"}
        self.leave_requests.append(req)
        return {**req, "remaining": balance[kind]}

    def free_rooms(self, a: dict) -> list:
        date = a["date"]
        slot = {"startTime": a["startTime"], "endTime": a["endTime"]}
        check_slot(slot["startTime"], slot["endTime"])
        city_id = None
        if "city" in a:
            city = find_city(self.data["cities"], a["city"])
            if city is None:
                _fail("not_found", f"no office in city {js_quote(a['city'])}")
            city_id = city["id"]
        need = a.get("equipment") or []
        min_cap = a.get("minCapacity", 1)
        out = []
        for r in self.data["rooms"]:
            if city_id is not None and r["cityId"] != city_id:
                continue
            if r["capacity"] < min_cap or not all(x in r["equipment"] for x in need):
                continue
            if any(b["roomId"] == r["id"] and b["date"] == date and overlaps(b, slot) for b in self.bookings):
                continue
            out.append({"roomId": r["id"], "name": r["name"], "building": r["building"], "floor": r["floor"],
                        "capacity": r["capacity"], "equipment": r["equipment"]})
        return out

    def book(self, a: dict) -> dict:
        room = next((r for r in self.data["rooms"] if r["id"] == a.get("roomId", _MISSING)), None)
        if room is None:
            _fail("not_found", f"no meeting room with id {js_quote(a.get('roomId', _MISSING))}")
        organizer = self.employee(a.get("organizerId", _MISSING))
        slot = {"startTime": a["startTime"], "endTime": a["endTime"]}
        check_slot(slot["startTime"], slot["endTime"])
        date, today = a["date"], self.data["today"]
        if date < today:
            _fail("invalid_request", f"date {date} is in the past (today is {today})")
        clash = next((b for b in self.bookings if b["roomId"] == room["id"] and b["date"] == date and overlaps(b, slot)), None)
        if clash is not None:
            _fail("conflict", f"room {room['id']} is already booked {clash['startTime']}-{clash['endTime']} on {date}")
        title = _str(a.get("title"))
        booking = {"id": self.next_id("BK"), "roomId": room["id"], "date": date, **slot,
                   "title": "Meeting" if title is None else title, "organizerId": organizer["id"]}
        self.bookings.append(booking)
        return booking

    def dept_name(self, e: dict) -> str:
        return next(d["nameEn"] for d in self.data["departments"] if d["id"] == e["departmentId"])


def _query_weather(w: EnterpriseWorld, a: dict) -> dict:
    city = find_city(w.data["cities"], a["city"])
    if city is None:
        _fail("not_found", f"no weather data for city {js_quote(a['city'])}")
    today = w.data["today"]
    date = _str(a.get("date")) if _str(a.get("date")) is not None else today
    if date < add_days(today, -30) or date > add_days(today, 14):
        _fail("invalid_request", f"weather is available from {add_days(today, -30)} to {add_days(today, 14)}, not {date}")
    h = fnv1a(f"{city['id']}|{date}")
    cond = WEATHER[h % len(WEATHER)]
    high_c = city["baseTempC"] + ((h >> 8) % 7) - 3
    low_c = high_c - 5 - ((h >> 16) % 5)

    def f(c: float) -> int:
        return _js_round(c * 1.8 + 32)

    fahrenheit = a.get("unit") == "fahrenheit"
    return {"city": city["nameEn"], "cityZh": city["nameZh"], "date": date, "condition": cond[0], "conditionZh": cond[1],
            "high": f(high_c) if fahrenheit else high_c, "low": f(low_c) if fahrenheit else low_c,
            "unit": "fahrenheit" if fahrenheit else "celsius", "humidity": 40 + ((h >> 4) % 50)}


def _js_round(x: float) -> int:
    """Math.round: halves go up (Python's round() goes to even)."""
    return int(math.floor(x + 0.5))


def _get_leave_balance(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    balance = w.leave_balance[emp["id"]]
    if "leaveType" in a:
        return {"employeeId": emp["id"], "leaveType": a["leaveType"], "days": balance[a["leaveType"]]}
    return {"employeeId": emp["id"], "balances": {t: balance[t] for t in LEAVE_TYPES}}


def _submit_leave_request(w: EnterpriseWorld, a: dict) -> dict:
    r = w.add_leave_request(a)
    return {"requestId": r["id"], "status": r["status"], "days": r["days"], "remainingDays": r["remaining"]}


def _book_meeting_room(w: EnterpriseWorld, a: dict) -> dict:
    b = w.book(a)
    return {"bookingId": b["id"], "roomId": b["roomId"], "date": b["date"], "startTime": b["startTime"], "endTime": b["endTime"]}


def _cancel_meeting_booking(w: EnterpriseWorld, a: dict) -> dict:
    for i, b in enumerate(w.bookings):
        if b["id"] == a.get("bookingId", _MISSING):
            del w.bookings[i]
            return {"bookingId": b["id"], "cancelled": True}
    _fail("not_found", f"no booking with id {js_quote(a.get('bookingId', _MISSING))}")


def _get_calendar_events(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    events = [e for e in w.events if e["date"] == a["date"] and (e["employeeId"] == emp["id"] or emp["id"] in e["attendees"])]
    events.sort(key=lambda e: e["startTime"])
    return {"employeeId": emp["id"], "date": a["date"], "events": events}


def _create_calendar_event(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    attendees = [w.employee(i)["id"] for i in (a.get("attendees") or [])]
    check_slot(a["startTime"], a["endTime"])
    ev = {"id": f"EV-{len(w.events) + 1:04d}", "employeeId": emp["id"], "title": a["title"], "date": a["date"],
          "startTime": a["startTime"], "endTime": a["endTime"], "attendees": attendees}
    w.events.append(ev)
    return {"eventId": ev["id"]}


def _search_employees(w: EnterpriseWorld, a: dict) -> dict:
    name = _str(a.get("name"))
    name = name.strip().lower() if name is not None else None
    dept = _str(a.get("department"))
    dept = dept.strip().lower() if dept is not None else None
    if not name and not dept:
        _fail("invalid_request", "give a name or a department to search for")
    dept_ids = None
    if dept:
        dept_ids = {d["id"] for d in w.data["departments"] if any(dept in n.lower() for n in (d["id"], d["nameEn"], d["nameZh"]))}
        if not dept_ids:
            _fail("not_found", f"no department matches {js_quote(a.get('department', _MISSING))}")

    def matches(e: dict) -> bool:
        if name:
            first, last = e["nameEn"].split(" ")[0], e["nameEn"].split(" ")[1]
            if not (name in e["nameZh"] or name in e["nameEn"].lower() or name in f"{last} {first}".lower()):
                return False
        return dept_ids is None or e["departmentId"] in dept_ids

    found = [e for e in w.data["employees"] if matches(e)]
    return {"employees": [{"employeeId": e["id"], "nameZh": e["nameZh"], "nameEn": e["nameEn"], "department": w.dept_name(e),
                           "title": e["title"], "email": e["email"]} for e in found]}


def _get_employee_info(w: EnterpriseWorld, a: dict) -> dict:
    e = w.employee(a.get("employeeId", _MISSING))
    city = next(c for c in w.data["cities"] if c["id"] == e["cityId"])
    return {"employeeId": e["id"], "nameZh": e["nameZh"], "nameEn": e["nameEn"], "department": w.dept_name(e), "title": e["title"],
            "email": e["email"], "phone": e["phone"], "city": city["nameEn"], "managerId": e["managerId"]}


def _order(w: EnterpriseWorld, a: dict) -> dict:
    oid = a.get("orderId", _MISSING)
    for o in w.orders:
        if o["id"] == oid:
            return o
    _fail("not_found", f"no order with id {js_quote(oid)}")


def _query_order_status(w: EnterpriseWorld, a: dict) -> dict:
    return dict(_order(w, a))


def _cancel_order(w: EnterpriseWorld, a: dict) -> dict:
    o = _order(w, a)
    if o["status"] == "cancelled":
        _fail("conflict", f"order {o['id']} is already cancelled")
    if o["status"] in ("shipped", "delivered"):
        _fail("conflict", f"order {o['id']} has already been {o['status']} and cannot be cancelled")
    o["status"] = "cancelled"
    return {"orderId": o["id"], "status": o["status"]}


def _create_it_ticket(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    t = {"id": f"IT-{len(w.tickets) + 1:04d}", "employeeId": emp["id"], "category": a["category"],
         "priority": a.get("priority", "medium"), "description": a["description"], "status": "open", "createdDate": w.data["today"]}
    w.tickets.append(t)
    return {"ticketId": t["id"], "status": t["status"], "priority": t["priority"]}


def _get_it_ticket_status(w: EnterpriseWorld, a: dict) -> dict:
    tid = a.get("ticketId", _MISSING)
    for t in w.tickets:
        if t["id"] == tid:
            return dict(t)
    _fail("not_found", f"no IT ticket with id {js_quote(tid)}")


def _submit_expense_report(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    today = w.data["today"]
    if a["date"] > today:
        _fail("invalid_request", f"date {a['date']} is in the future (today is {today})")
    desc = _str(a.get("description"))
    r = {"id": f"EXP-{len(w.expenses) + 1:04d}", "employeeId": emp["id"], "amount": a["amount"], "currency": a.get("currency", "CNY"),
         "category": a["category"], "date": a["date"], "description": "" if desc is None else desc, "status": "submitted"}
    w.expenses.append(r)
    return {"reportId": r["id"], "status": r["status"]}


def _list_expense_reports(w: EnterpriseWorld, a: dict) -> dict:
    emp = w.employee(a.get("employeeId", _MISSING))
    return {"reports": [r for r in w.expenses if r["employeeId"] == emp["id"] and ("status" not in a or r["status"] == a["status"])]}


EXECUTORS = {
    "queryWeather": _query_weather,
    "getLeaveBalance": _get_leave_balance,
    "submitLeaveRequest": _submit_leave_request,
    "searchMeetingRooms": lambda w, a: {"rooms": w.free_rooms(a)},
    "bookMeetingRoom": _book_meeting_room,
    "cancelMeetingBooking": _cancel_meeting_booking,
    "getCalendarEvents": _get_calendar_events,
    "createCalendarEvent": _create_calendar_event,
    "searchEmployees": _search_employees,
    "getEmployeeInfo": _get_employee_info,
    "queryOrderStatus": _query_order_status,
    "cancelOrder": _cancel_order,
    "createItTicket": _create_it_ticket,
    "getItTicketStatus": _get_it_ticket_status,
    "submitExpenseReport": _submit_expense_report,
    "listExpenseReports": _list_expense_reports,
}


class Environment:
    """Fresh worlds on demand (reward.py's execution component runs the reference and the predicted calls in two)."""

    def __init__(self, world: EnterpriseWorld):
        self.start = world
        self.tool_names = set(EXECUTORS)

    def create(self) -> EnterpriseWorld:
        return self.start.fresh()

    @staticmethod
    def default() -> "Environment":
        return Environment(EnterpriseWorld.default())
