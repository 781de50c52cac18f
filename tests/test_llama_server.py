"""The embedded model's server launcher keeps the weights off ggml's AMX path.

On some Intel CPUs with AMX, ggml's AMX matrix multiply crashes llama.cpp's server on the
first request (``rehearse/llama_server.py``). The end-to-end tests serve the model for
real on whatever machine runs them; these check the switch itself on any machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rehearse.llama_server import ggml_uses_amx
from rehearse.local_model import LocalModelServer, gguf_path
from tests.test_local_model_restart import ask

# ggml's system info as llama.cpp printed it on this project's Xeon (Sapphire Rapids),
# and the same CPU as ggml would describe it without AMX.
SAPPHIRE_RAPIDS = (
    b"CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 "
    b"| BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 "
    b"| AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
WITHOUT_AMX = SAPPHIRE_RAPIDS.replace(b"| AMX_INT8 = 1 ", b"")


def test_amx_is_read_from_ggml_s_own_system_info() -> None:
    assert ggml_uses_amx(SAPPHIRE_RAPIDS)
    assert not ggml_uses_amx(WITHOUT_AMX)


LOADS_THE_MODEL = """
import json, sys
import llama_cpp
from rehearse.llama_server import ggml_uses_amx, keep_weights_in_plain_buffers

stock = llama_cpp.llama_model_default_params().use_extra_bufts
keep_weights_in_plain_buffers()
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, verbose=False)
print(json.dumps([stock, llm.model_params.use_extra_bufts, ggml_uses_amx()]))
"""


def test_a_model_loaded_after_the_switch_keeps_its_weights_in_plain_buffers() -> None:
    # In a process of its own: the switch changes llama-cpp-python's defaults for good
    # (and importing llama_cpp leaves a file open, which pytest would warn about).
    done = subprocess.run(
        [sys.executable, "-c", LOADS_THE_MODEL, str(gguf_path())],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    stock, loaded, amx = json.loads(done.stdout.splitlines()[-1])
    assert (stock, loaded) == (True, False)
    assert isinstance(amx, bool)  # this machine's answer, from llama.cpp itself


@pytest.mark.e2e
def test_the_served_model_answers_without_an_amx_buffer(rehearse_home: Path) -> None:
    with LocalModelServer() as server:
        reply = ask(server)
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert reply.strip()
    assert "model buffer size" in log  # llama.cpp says where each weight went
    assert "AMX model buffer" not in log
