"""llama.cpp's OpenAI-compatible server, as ``python -m llama_cpp.server`` runs it, minus AMX.

``python -m rehearse.llama_server ARGS`` takes the same arguments and runs the same
server (llama-cpp-python's own ``main``), with one change on CPUs where ggml would
multiply with Intel's AMX tiles: the model's weights stay in plain CPU buffers.

Why: ggml's AMX path crashes the server with a segmentation fault on the first request
on some Sapphire Rapids machines (``ldtilecfg`` in ``ggml_backend_amx_mul_mat``; seen
on this project's 2-core Xeon on 2026-12-03, where every end-to-end test failed). It is
ggml-org/llama.cpp#20824 upstream, and ggml-org/llama.cpp#26954 proposes a fix (the
tile configuration must not live on the stack, and each worker thread must ask the
kernel for the tile state). The crash depends on the machine, not the model, and
nothing tells in advance, so wherever ggml would use AMX at all the weights are kept out
of its extra buffers (llama.cpp's ``use_extra_bufts``, the switch behind
``llama-server --no-repack``). Everywhere else the server runs exactly as stock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ggml_uses_amx", "keep_weights_in_plain_buffers", "main"]


def ggml_uses_amx(system_info: bytes | None = None) -> bool:
    """Whether ggml would put weights in AMX buffers on this CPU (its own system info)."""
    if system_info is None:
        import llama_cpp

        system_info = llama_cpp.llama_print_system_info()
    return b"AMX_INT8 = 1" in system_info


def keep_weights_in_plain_buffers() -> None:
    """Every model loaded from now on in this process gets ``use_extra_bufts = False``.

    ``llama_cpp.Llama`` takes its model parameters from ``llama_model_default_params``
    and exposes no argument for this one, so the defaults themselves are changed.
    """
    import llama_cpp.llama_cpp as bindings

    stock: Callable[[], Any] = bindings.llama_model_default_params

    def defaults() -> Any:
        params = stock()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = defaults


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    if ggml_uses_amx():
        keep_weights_in_plain_buffers()
    serve()


if __name__ == "__main__":
    main()
