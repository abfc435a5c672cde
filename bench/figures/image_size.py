"""The generated image's size (the plan's variant, gunicorn), against the guide-style reference."""

from __future__ import annotations

from bench import markdown, session
from bench.markdown import MB
from bench.measure import check
from bench.targets import at_most
from harness.images import run_once

TITLE = "Image size"
# No worse than the template's mysql image when the target was set (2026-11-28: 227 MB).
TARGET = [at_most("size_mb", 227, " MB")]


def measure(bench: session.Session) -> dict:
    client = bench.client
    template, reference = bench.image(bench.plan.database, "gunicorn"), bench.reference_image()

    def size(tag):
        return client.images.get(tag).attrs["Size"]

    status, output = run_once(client, template, ["sh", "-c", "du -sb /venv/lib/python*/site-packages"], {})
    assert status == 0, output
    data = {
        "database": bench.plan.database,
        "base_bytes": size(bench.base),
        "site_packages_bytes": int(output.split()[0]),
        "template_bytes": size(template),
        "reference_bytes": size(reference),
        "template_layers": layers(client, template, bench.base),
        "reference_layers": layers(client, reference, bench.base),
    }
    label = f"final image size, {bench.plan.database} variant"
    return {"checks": [check("size", label, size_mb=round(data["template_bytes"] / MB))], "data": data}


def layers(client, image: str, base: str) -> list[list]:
    """The layers `image` adds to `base` of at least 0.1 MB, bottom up, as [instruction, bytes]."""
    history = client.api.history(image)
    own = history[: len(history) - len(client.api.history(base))]
    return [
        [
            " ".join(
                layer["CreatedBy"].replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").split()
            ),
            layer["Size"],
        ]
        for layer in reversed(own)
        if layer["Size"] >= 0.1 * MB
    ]


def render(figure: dict, verdicts: dict[str, str]) -> markdown.Rendered:
    data = figure["data"]
    template, reference, base = data["template_bytes"], data["reference_bytes"], data["base_bytes"]
    overhead = template - base - data["site_packages_bytes"]
    largest = sorted(data["template_layers"], key=lambda layer: -layer[1])[:2]
    sizes = [
        ["base image", mb(base), "", ""],
        ["template image: installed site-packages", mb(data["site_packages_bytes"]), "", ""],
        ["template image", mb(template), figure["target"][0]["text"], verdicts["size"]],
        ["reference image (guide style)", mb(reference), "", ""],
        ["template / reference", f"{template / reference:.2f}×", "", ""],
        ["template − (base + site-packages)", f"{overhead / MB:+.0f}", "", ""],
    ]
    return markdown.Rendered(
        measured={
            "size": f"{mb(template)} MB ({template / reference:.2f}× the reference's {mb(reference)} MB)"
        },
        limits={"size": "largest layers above the base: " + describe(largest)},
        values={
            "database": data["database"],
            "sizes": markdown.table(["image", "MB", "target", "verdict"], sizes),
            "template_layers": markdown.table(
                ["template image layer", "MB"], layer_rows(data["template_layers"])
            ),
            "reference_layers": markdown.table(
                ["reference image layer", "MB"], layer_rows(data["reference_layers"])
            ),
        },
        summary=[
            (
                f"{data['database']} image size",
                f"{mb(template)} MB (the reference: {mb(reference)} MB, {template / reference:.2f}×)",
                verdicts["size"],
            )
        ],
    )


def mb(size: float) -> str:
    return f"{size / MB:.0f}"


def layer_rows(layers: list[list]) -> list[list[str]]:
    return [[f"`{instruction[:100]}`", f"{size / MB:.1f}"] for instruction, size in layers]


def describe(layers: list[list]) -> str:
    return "; ".join(f"`{instruction[:60]}…` {size / MB:.0f} MB" for instruction, size in layers)
