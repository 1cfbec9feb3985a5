"""Writes the checkpoint-reader fixtures into Tests/Fixtures/checkpoint/.

Small, real torch.save archives (and a few broken ones) plus expected.json, which lists for
every readable file its tensors (name, dtype, shape, row-major values) and for every broken
file the status and a phrase its error message must contain.

Run with the reference venv: /tmp/ref/bin/python tools/make_checkpoint_fixtures.py
Values come from fixed seeds and every file is byte-for-byte reproducible except legacy.pt,
whose storage keys are Python object ids (the tests read only its header).
"""
import collections
import io
import json
import os
import pickle
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "checkpoint")

DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.uint8: "uint8", torch.bool: "bool",
    torch.float64: "float64", torch.int16: "int16", torch.int8: "int8",
}
STATUS_FORMAT = 2  # SAM_ERROR_FORMAT


def flatten(obj, prefix=""):
    """The (name, tensor) pairs the reader must produce: nested dicts joined with dots."""
    for key, value in obj.items():
        name = prefix + str(key)
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        elif isinstance(value, torch.Tensor):
            yield name, value


def describe(obj):
    tensors = []
    for name, tensor in flatten(obj):
        tensors.append({
            "name": name,
            "dtype": DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "strides": list(tensor.stride()),
            "storage_offset": tensor.storage_offset(),
            "values": tensor.detach().to(torch.float64).flatten().tolist(),
        })
    return {"model": "unknown", "tensors": tensors}


def save(name, obj, **kwargs):
    torch.save(obj, os.path.join(OUT, name), **kwargs)


def readable_cases():
    torch.manual_seed(0)
    cases = {}

    # A real module's state dict: an OrderedDict with _metadata (BUILD), a rank-0 int64 counter.
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    module.train()(torch.randn(5, 4))  # moves the running statistics off their defaults
    cases["state_dict.pt"] = module.state_dict()

    # SAM 2's layout: {"model": state_dict}; a deeper dict and a non-tensor value besides.
    inner = torch.nn.Linear(2, 2).state_dict()
    cases["nested.pt"] = {"model": inner, "extra": {"deeper": {"t": torch.arange(3, dtype=torch.int32)}}, "epoch": 7}

    dtypes = collections.OrderedDict()
    dtypes["f32"] = torch.randn(2, 3)
    dtypes["f16"] = torch.tensor([0.5, -2.0, 65504.0, 6.1e-5, 1e-7, 0.0], dtype=torch.float16)  # incl. subnormal
    dtypes["bf16"] = torch.randn(4).to(torch.bfloat16)
    dtypes["i64"] = torch.tensor([-(2 ** 40), -1, 0, 2 ** 52 + 1], dtype=torch.int64)
    dtypes["i32"] = torch.tensor([[-(2 ** 31), 7], [2 ** 31 - 1, 0]], dtype=torch.int32)
    dtypes["u8"] = torch.tensor([0, 1, 200, 255], dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([True, False, True])
    dtypes["f64"] = torch.randn(3, dtype=torch.float64)
    dtypes["i16"] = torch.tensor([-32768, 12, 32767], dtype=torch.int16)
    dtypes["i8"] = torch.tensor([-128, -1, 127], dtype=torch.int8)
    cases["dtypes.pt"] = dtypes

    # Views: the file keeps the whole storage and each tensor's offset and strides.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict()
    views["base"] = base
    views["transposed"] = base.t()
    views["sliced"] = base[1:3, 2:5]  # storage offset 8, non-contiguous
    views["row"] = base[3]
    views["flat"] = base.view(-1)
    views["stepped"] = base[:, ::2]
    views["expanded"] = torch.tensor([1.5, -1.0]).expand(3, 2)  # stride 0
    views["scalar"] = torch.tensor(3.25)
    views["empty"] = torch.zeros(0, 5)
    cases["views.pt"] = views

    # nn.Parameter values pickle through torch._utils._rebuild_parameter.
    cases["parameters.pt"] = {"weight": torch.nn.Parameter(torch.randn(2, 2)), "bias": torch.nn.Parameter(torch.zeros(2))}
    return cases


def signature_checkpoint(name, state_dict):
    """Every tensor of an official model at its true shape, each a stride-0 view of one
    element, so the file is small but carries exactly what preset detection looks at."""
    one = torch.zeros(1)
    return {key: one.expand(*value.shape) if value.dim() else one[0] for key, value in state_dict.items()}


def preset_cases():
    from sam2.build_sam import build_sam2
    from segment_anything import sam_model_registry

    cases = {}
    for preset, config in [("sam2.1_hiera_t", "configs/sam2.1/sam2.1_hiera_t.yaml"),
                           ("sam2_hiera_t", "configs/sam2/sam2_hiera_t.yaml")]:
        model = build_sam2(config, ckpt_path=None, device="cpu")
        cases[preset] = {"model": signature_checkpoint(preset, model.state_dict())}
    cases["sam_vit_b"] = signature_checkpoint("sam_vit_b", sam_model_registry["vit_b"](checkpoint=None).state_dict())
    return cases


def write_with_pickle(source, target, pickle_bytes, compress=False):
    """Copies a torch.save archive, replacing its data.pkl (and optionally deflating entries)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename.endswith("/data.pkl") and pickle_bytes is not None:
                data = pickle_bytes
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))  # reproducible bytes
            entry.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            copy.writestr(entry, data)


class Hostile:
    """Pickles as a call of os.system; the reader must refuse the global, never run it."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def main():
    os.makedirs(OUT, exist_ok=True)
    for stale in os.listdir(OUT):
        os.remove(os.path.join(OUT, stale))
    expected = {"readable": {}, "broken": {}, "presets": {}}

    for name, obj in readable_cases().items():
        save(name, obj)
        expected["readable"][name] = describe(obj)
    # The same state dict pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE).
    protocol4 = readable_cases()["dtypes.pt"]
    save("protocol4.pt", protocol4, pickle_protocol=4)
    expected["readable"]["protocol4.pt"] = describe(protocol4)

    for preset, obj in preset_cases().items():
        name = f"signature_{preset}.pt"
        save(name, obj)
        tensors = list(flatten(obj))
        expected["presets"][name] = {"model": preset, "tensors": len(tensors),
                                     "values": sum(t.numel() for _, t in tensors)}

    def broken(name, phrase):
        expected["broken"][name] = {"status": STATUS_FORMAT, "contains": phrase}

    state_dict = os.path.join(OUT, "state_dict.pt")
    save("legacy.pt", readable_cases()["state_dict.pt"], _use_new_zipfile_serialization=False)
    broken("legacy.pt", "legacy")
    torch.jit.script(torch.nn.Linear(2, 2)).save(os.path.join(OUT, "torchscript.pt"))
    broken("torchscript.pt", "TorchScript")
    with open(state_dict, "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) * 2 // 3])
    broken("truncated.pt", "truncated")
    write_with_pickle(state_dict, os.path.join(OUT, "compressed.pt"), None, compress=True)
    broken("compressed.pt", "compressed")
    write_with_pickle(state_dict, os.path.join(OUT, "hostile_global.pt"), pickle.dumps({"x": Hostile()}, protocol=2))
    broken("hostile_global.pt", "posix.system")
    with open(os.path.join(OUT, "not_a_checkpoint.pt"), "wb") as f:
        f.write(b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n")
    broken("not_a_checkpoint.pt", "HTML")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}")


if __name__ == "__main__":
    main()
