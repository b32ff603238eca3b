"""ctest openapi-schemas: every request and answer schema of the REST API's OpenAPI document
(printed by pb-web-openapi from web/web-api.c's route table) says what it holds: an object
names its properties or, for a map, its additionalProperties' schema; an array its items'.
A bare {"type": "object"} or an array of them anywhere (nested too) fails, naming the route
and the place. Before the real document, a sample with a bare object must be refused, so the
check itself cannot silently pass everything."""
import json
import subprocess
import sys


def bare_places(schema, where):
    """The places under schema (a JSON schema) that are a bare object or array."""
    if not isinstance(schema, dict):
        return []
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    out = []
    if "object" in types:
        props, extra = schema.get("properties"), schema.get("additionalProperties")
        if not props and not isinstance(extra, dict) and extra is not False:
            out.append(where + ": an object without properties or additionalProperties")
        for name, sub in (props or {}).items():
            out += bare_places(sub, "%s.%s" % (where, name))
        if isinstance(extra, dict):
            out += bare_places(extra, where + ".*")
    if "array" in types:
        if not isinstance(schema.get("items"), dict):
            out.append(where + ": an array without items")
        else:
            out += bare_places(schema["items"], where + "[]")
    return out


def document_faults(doc):
    """Each bare schema of each operation's request and answers, as a line."""
    faults = []
    for path, item in doc["paths"].items():
        for verb, op in item.items():
            route = "%s %s" % (verb.upper(), path)
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                faults += bare_places(body["schema"], route + " request")
            for status, answer in op.get("responses", {}).items():
                json_answer = answer.get("content", {}).get("application/json")
                if json_answer is not None:
                    faults += bare_places(json_answer["schema"], "%s %s" % (route, status))
    return faults


def main():
    sample = {"paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
        "schema": {"type": "array", "items": {"type": "object", "properties": {
            "a": {"type": "object"}}}}}}}}}}}}
    if document_faults(sample) != ["GET /x 200[].a: an object without properties or "
                                   "additionalProperties"]:
        print("the check does not find a bare object in its sample: %s" % document_faults(sample))
        return 1
    text = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    faults = document_faults(json.loads(text))
    for f in faults:
        print("bare schema (describe it in web/web-api.c's route table): " + f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
