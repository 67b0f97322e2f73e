"""Slack's Block Kit limits, checked on whatever the app built or sent."""

from __future__ import annotations

import json
from typing import Any

from canipost.slack.blocks import units


def check_blocks(blocks: list[dict], max_blocks: int = 50) -> None:
    assert isinstance(blocks, list) and 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), f"duplicate block ids {ids}"
    json.dumps(blocks).encode("utf-8")  # encodable: no lone surrogates
    for block in blocks:
        kind = block["type"]
        assert len(block.get("block_id", "")) <= 255
        if kind == "section":
            if "text" in block:
                _text(block["text"], 3000)
            for item in block.get("fields", []):
                _text(item, 2000)
            assert len(block.get("fields", [])) <= 10
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for item in block["elements"]:
                _text(item, 3000)
        elif kind == "header":
            _text(block["text"], 150)
            assert block["text"]["type"] == "plain_text"
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                if element["type"] == "button":
                    _text(element["text"], 75)
                    assert len(element.get("value", "")) <= 2000
                    assert len(element["action_id"]) <= 255
        elif kind == "input":
            _text(block["label"], 2000)
        else:
            assert kind == "divider", kind


def check_view(view: dict[str, Any]) -> None:
    check_blocks(view["blocks"], 100)
    if view["type"] == "modal":
        for key in ("title", "submit", "close"):
            if key in view:
                _text(view[key], 24)
        assert len(view.get("private_metadata", "")) <= 3000


def _text(obj: dict, limit: int) -> None:
    assert obj["type"] in ("mrkdwn", "plain_text"), obj
    assert obj["text"], "empty text object"
    assert units(obj["text"]) <= limit, f"{units(obj['text'])} > {limit}: {obj['text'][:80]}"
