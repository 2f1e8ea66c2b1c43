"""The envelope of a :mod:`cog.schema` document: the components and paths every document carries
(the request and response objects, status, webhook events, validation errors), in the classic Cog
server's layout, for predictions or (mode "train") trainings.
"""

from __future__ import annotations

_WEBHOOK_EVENTS = ["start", "output", "logs", "completed"]


def _component_names(mode: str) -> tuple[str, str]:
    """The names of the Input and Output components of a document for `mode`."""
    return ("TrainingInput", "TrainingOutput") if mode == "train" else ("Input", "Output")


def _ref(name: str, nullable: bool = True) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "nullable": True} if nullable else {"$ref": f"#/components/schemas/{name}"}


def _enumeration(title: str, values: list[str]) -> dict:
    return {"type": "string", "enum": list(values), "title": title, "description": "An enumeration."}


def _request(title: str, input_name: str) -> dict:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "input": _ref(input_name),
            "id": {"title": "Id", "type": "string", "nullable": True},
            "created_at": {"title": "Created At", "type": "string", "format": "date-time", "nullable": True},
            "context": {"title": "Context", "type": "object", "additionalProperties": {"type": "string"}, "nullable": True},
            "output_file_prefix": {"title": "Output File Prefix", "type": "string", "nullable": True},
            "webhook": {"title": "Webhook", "type": "string", "format": "uri", "minLength": 1, "maxLength": 65536, "nullable": True},
            "webhook_events_filter": {
                "type": "array",
                "items": _ref("WebhookEvent", False),
                "default": list(_WEBHOOK_EVENTS),
                "nullable": True,
            },
        },
    }


def _response(title: str, input_name: str, output_name: str) -> dict:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "input": _ref(input_name),
            "output": _ref(output_name, False),
            "id": {"title": "Id", "type": "string", "nullable": True},
            "version": {"title": "Version", "type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Created At"},
            "started_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Started At"},
            "completed_at": {"type": "string", "format": "date-time", "nullable": True, "title": "Completed At"},
            "logs": {"type": "string", "title": "Logs", "default": ""},
            "error": {"title": "Error", "type": "string", "nullable": True},
            "status": _ref("Status"),
            "metrics": {"title": "Metrics", "type": "object", "additionalProperties": True, "nullable": True},
        },
    }


def _envelope(mode: str) -> dict:
    prefix = "Training" if mode == "train" else "Prediction"
    input_name, output_name = _component_names(mode)
    return {
        "Status": _enumeration("Status", ["starting", "processing", "succeeded", "canceled", "failed"]),
        "WebhookEvent": _enumeration("WebhookEvent", _WEBHOOK_EVENTS),
        f"{prefix}Request": _request(f"{prefix}Request", input_name),
        f"{prefix}Response": _response(f"{prefix}Response", input_name, output_name),
        "HTTPValidationError": {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {"title": "Detail", "type": "array", "items": _ref("ValidationError", False)}},
        },
        "ValidationError": {
            "title": "ValidationError",
            "required": ["loc", "msg", "type"],
            "type": "object",
            "properties": {
                "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
            },
        },
    }


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(schema: dict | None = None) -> dict:
    return {"200": {"description": "Successful Response", "content": _json(schema if schema is not None else {})}}


def _invalid() -> dict:
    return {"422": {"description": "Validation Error", "content": _json(_ref("HTTPValidationError", False))}}


def _prefer() -> dict:
    return {"in": "header", "name": "prefer", "required": False, "schema": {"title": "Prefer", "type": "string"}}


def _id_param(name: str, title: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"title": title, "type": "string"}}


def _paths(mode: str) -> dict:
    paths: dict = {
        "/": {"get": {"summary": "Root", "operationId": "root__get", "responses": _ok({"title": "Response Root  Get"})}},
        "/health-check": {
            "get": {
                "summary": "Healthcheck",
                "operationId": "healthcheck_health_check_get",
                "responses": _ok({"title": "Response Healthcheck Health Check Get"}),
            }
        },
    }
    if mode == "train":
        body = lambda: {"content": _json(_ref("TrainingRequest", False))}  # noqa: E731
        done = lambda: {**_ok(_ref("TrainingResponse", False)), **_invalid()}  # noqa: E731
        paths["/trainings"] = {
            "post": {"summary": "Train", "operationId": "train_trainings_post", "parameters": [_prefer()], "requestBody": body(), "responses": done()}
        }
        paths["/trainings/{training_id}"] = {
            "put": {
                "summary": "Train Idempotent",
                "operationId": "train_idempotent_trainings__training_id__put",
                "parameters": [_id_param("training_id", "Training ID"), _prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/trainings/{training_id}/cancel"] = {
            "post": {
                "summary": "Cancel Training",
                "operationId": "cancel_training_trainings__training_id__cancel_post",
                "parameters": [_id_param("training_id", "Training ID")],
                "responses": {**_ok({"title": "Response Cancel Training Trainings  Training Id  Cancel Post"}), **_invalid()},
            }
        }
    else:
        body = lambda: {"content": _json(_ref("PredictionRequest", False))}  # noqa: E731
        done = lambda: {**_ok(_ref("PredictionResponse", False)), **_invalid()}  # noqa: E731
        paths["/predictions"] = {
            "post": {
                "summary": "Predict",
                "description": "Run a single prediction on the model",
                "operationId": "predict_predictions_post",
                "parameters": [_prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/predictions/{prediction_id}"] = {
            "put": {
                "summary": "Predict Idempotent",
                "description": "Run a single prediction on the model (idempotent creation).",
                "operationId": "predict_idempotent_predictions__prediction_id__put",
                "parameters": [_id_param("prediction_id", "Prediction ID"), _prefer()],
                "requestBody": body(),
                "responses": done(),
            }
        }
        paths["/predictions/{prediction_id}/cancel"] = {
            "post": {
                "summary": "Cancel",
                "description": "Cancel a running prediction",
                "operationId": "cancel_predictions__prediction_id__cancel_post",
                "parameters": [_id_param("prediction_id", "Prediction ID")],
                "responses": {**_ok({"title": "Response Cancel Predictions  Prediction Id  Cancel Post"}), **_invalid()},
            }
        }
    paths["/shutdown"] = {
        "post": {
            "summary": "Start Shutdown",
            "operationId": "start_shutdown_shutdown_post",
            "responses": _ok({"title": "Response Start Shutdown Shutdown Post"}),
        }
    }
    return paths
