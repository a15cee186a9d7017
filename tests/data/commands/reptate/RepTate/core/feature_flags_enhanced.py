"""A stand-in for RepTate's src/RepTate/core/feature_flags_enhanced.py (seed 004), enough for the
command backend of resources/plans/reptate-modernization.yaml: set_percentage(flag, percentage)
and get_status(). The percentages live in the JSON file $REPTATE_FLAG_STATE. As in the seed, the
environment wins: REPTATE_<FLAG>=true/false turns a flag on or off for all users, whatever its
percentage, and get_status() reports what is in force.
"""
import fcntl
import json
import os

FEATURE_FLAGS = ("USE_SAFE_EVAL", "USE_SAFE_SERIALIZATION", "USE_JAX_OPTIMIZATION")


class FeatureFlagManager:
    def __init__(self, path):
        self.path = path

    def _load(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {name: 0 for name in FEATURE_FLAGS}

    def set_percentage(self, flag_name, percentage):
        if flag_name not in FEATURE_FLAGS:
            raise KeyError(f"unknown feature flag {flag_name!r}")
        if not 0 <= percentage <= 100:
            raise ValueError(f"percentage must be between 0 and 100, got {percentage}")
        # Several flags are set at once, each by a process of its own: read, change and write
        # under a lock, and replace the file whole, so that no reader sees half of it.
        with open(self.path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._load()
            state[flag_name] = percentage
            with open(self.path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(state, f)
            os.replace(self.path + ".tmp", self.path)

    def get_status(self):
        state = self._load()
        out = {}
        for name in FEATURE_FLAGS:
            percentage = state.get(name, 0)
            override = os.environ.get("REPTATE_" + name)
            if override is not None:
                percentage = 100 if override.lower() == "true" else 0
            out[name] = {"enabled": percentage > 0, "enabled_percentage": percentage,
                         "source": "environment" if override is not None else "configuration"}
        return out


def get_feature_flag_manager():
    path = os.environ.get("REPTATE_FLAG_STATE")
    if not path:
        raise RuntimeError("REPTATE_FLAG_STATE is not set")
    return FeatureFlagManager(path)
