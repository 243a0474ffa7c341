"""Image metrics of a run: n real and n generated images -> features -> scores, with their setup.

A score means nothing without the exact conditions it was measured in: FID is biased by the sample
size (Bińkowski et al. 2018), and different feature networks give numbers on different scales. So
every result carries a `setup` record (extractor name + weights SHA-256, reference data and split,
n_real, n_fake, image shape, seed, metric parameters) and `comparable()` refuses to rank two
scores whose setups differ. Generated images are quantised to uint8 first (`to_pixels`), exactly as
a saved PNG would be, so real and generated images take the same path through the extractor.

Metric names: fid, kid (mean ± std over subsets), pr (precision, recall), dc (density, coverage),
is (Inception Score of the generated images), nn (distance of each generated image to its nearest
training image: memorisation).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from gankit.errors import GankitError
from gankit.features import Features, default_extractor, get_extractor
from gankit.metrics import density_coverage, fid, inception_score, kid, nearest_neighbours, precision_recall
from gankit.train.run import SAMPLE_BATCH  # chunked as the Generator's; each chunk to uint8 at once (4x smaller)

METRIC_HELP = {  # `gankit list`
    "fid": "Fréchet distance between Gaussian fits of real and generated features (lower is better)",
    "kid": "kernel inception distance: unbiased polynomial-kernel MMD² (lower is better)",
    "pr": "precision (fakes on the real manifold) and recall (reals on the fake manifold)",
    "dc": "density and coverage: k-NN ball counts, robust to outliers",
    "is": "inception score of the generated images from the extractor's softmax (higher is better)",
    "nn": "memorisation: distance of each fake to its nearest training image, plots/nearest_neighbours.png",
}
METRICS = tuple(METRIC_HELP)
DEFAULT_METRICS = ("fid", "kid", "pr", "dc", "is")
ALIASES = {"precision-recall": ("pr",), "density-coverage": ("dc",), "prdc": ("pr", "dc"),
           "inception-score": ("is",), "memorisation": ("nn",)}
# Paper settings: KID 100 subsets of 1000 (Bińkowski et al. 2018), P/R k = 3 (Kynkäänniemi et al.
# 2019), D/C k = 5 (Naeem et al. 2020), IS 10 splits (Salimans et al. 2016).
PARAMS = {"kid_subsets": 100, "kid_subset_size": 1000, "pr_k": 3, "dc_k": 5, "is_splits": 10}
# Scores a `best` checkpoint may be chosen by, and whether higher is better.
HIGHER_IS_BETTER = {"fid": False, "kid": False, "precision": True, "recall": True, "coverage": True, "is": True}
SETUP_KEYS = ("features", "weights_sha256", "data", "reference", "n_real", "n_fake", "image_shape", "seed", "params")
DEFAULT_N = 10_000  # real and generated images when n is not given (or all the real ones, if fewer)


def parse_metrics(spec: str | list[str] | tuple | None, default=DEFAULT_METRICS) -> list[str]:
    """"fid,kid,pr" (or a list) -> canonical names in METRICS order; GankitError for unknown names."""
    if spec is None:
        return list(default)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    wanted: set[str] = set()
    for item in (i.strip().lower() for i in items if i.strip()):
        if item not in METRICS and item not in ALIASES:
            raise GankitError(f"unknown image metric '{item}'; expected some of: {', '.join(METRICS)}")
        wanted.update(ALIASES.get(item, (item,)))
    return [m for m in METRICS if m in wanted]


# ---------------------------------------------------------------------------------------- images
def to_pixels(images: torch.Tensor) -> torch.Tensor:
    """Images in data units (0..255, any float) -> uint8 (N, C, H, W) on the CPU, rounded as a PNG stores them."""
    return images.detach().float().round().clamp(0, 255).to(torch.uint8).cpu()


@torch.no_grad()
def sample_pixels(generator, n: int, seed: int, progress: bool = False) -> torch.Tensor:
    """n uint8 images from a run's Generator; noise from `seed`, so the same n and seed give the same images.
    progress: a bar on a terminal's stderr (the commands; not inside training, which has its own)."""
    from gankit.train.progress import Progress

    z = generator.algo.latent_on_cpu(n, torch.Generator().manual_seed(seed))  # (n, latent)
    bank = getattr(generator.algo, "bank_sources", None)
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    parts = []
    with torch.random.fork_rng(devices=devices), Progress(n, enabled=progress, label="generate") as bar:
        torch.manual_seed(seed)  # conditional models draw labels from the global RNG
        for start, chunk in zip(range(0, n, SAMPLE_BATCH), z.split(SAMPLE_BATCH)):
            # image-to-image runs: consecutive rows of the held-out source bank, not rows 0.. in every chunk
            source = {"source": bank(len(chunk), start)} if bank is not None else {}
            parts.append(to_pixels(generator.sample(len(chunk), z=chunk, **source)))
            bar.update(start + len(chunk), {})
    return torch.cat(parts)


def sample_size(n: int | None, available: int, where: str, flag: str = "--n") -> int:
    """How many real (and as many generated) images to score: DEFAULT_N or all there are, or exactly n.
    More than there are is an error rather than fewer real than generated ones (the scores depend on both).
    flag: the option that set n, for the message."""
    if n is None:
        return min(DEFAULT_N, available)
    if n > available:
        raise GankitError(f"{flag} {n} is more than the {available} real images of {where}; "
                          f"expected {flag} <= {available}")
    return n


def choose(images: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """min(n, N) images drawn without replacement by a private generator (the global RNG is untouched)."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    return images[order[:n].sort().values]


def reference_images(data_cfg, split: str) -> tuple[torch.Tensor, str]:
    """Real uint8 images of `split` at the run's image size and channels, and where they came from.

    train: exactly what the run trained on (data.limit included); test: the dataset's test files."""
    from gankit.data import build_data
    from gankit.features.splits import load_split

    if split == "train":
        data = build_data(data_cfg)
        if data.info.kind != "image":
            raise GankitError(f"data '{data.info.name}' is not images; image metrics need image data")
        return data.data.cpu(), data.info.origin()
    loaded = load_split(data_cfg.path or data_cfg.name, split, root=data_cfg.root, image_size=data_cfg.image_size,
                        channels=data_cfg.channels, holdout=False)
    return loaded.images, loaded.source


# ---------------------------------------------------------------------------------------- scores
def score_features(real: Features, fake: Features, names: list[str], seed: int = 0,
                   train: np.ndarray | None = None, neighbours: dict | None = None) -> dict[str, float]:
    """The named metrics of `fake` against `real` (and against `train` features for nn; the nearest
    training row of each fake then goes into `neighbours["index"]`, for the figure)."""
    scores: dict[str, float] = {}
    if "fid" in names:
        scores["fid"] = fid(real.features, fake.features)
    if "kid" in names:  # with n <= subset size every "subset" is the whole set: one estimate, std 0
        whole = min(len(real.features), len(fake.features)) <= PARAMS["kid_subset_size"]
        scores["kid"], scores["kid_std"] = kid(real.features, fake.features, seed=seed,
                                               n_subsets=1 if whole else PARAMS["kid_subsets"],
                                               subset_size=PARAMS["kid_subset_size"])
    if "pr" in names:
        scores.update(precision_recall(real.features, fake.features, k=PARAMS["pr_k"]))
    if "dc" in names:
        scores.update(density_coverage(real.features, fake.features, k=PARAMS["dc_k"]))
    if "is" in names:
        if fake.probs is None:
            raise GankitError("metric 'is' needs an extractor with class probabilities (classifier:<...> or "
                              "inception), not pixels")
        scores["is"], scores["is_std"] = inception_score(fake.probs, n_splits=min(PARAMS["is_splits"], len(fake.probs)))
    if "nn" in names:  # memorisation_summary's statistics, from one pass that also gives the indices
        distances, indices = nearest_neighbours(fake.features, train, k=1)  # (M, 1) each
        nearest = distances[:, 0]
        scores.update(nn_min=float(nearest.min()), nn_median=float(np.median(nearest)), nn_mean=float(nearest.mean()))
        if neighbours is not None:
            neighbours.update(distance=nearest, index=indices[:, 0])
    return scores


def setup_record(extractor, *, data: str, reference: str, source: str, n_real: int, n_fake: int,
                 image_shape, seed: int) -> dict:
    return {**extractor.describe(), "data": data, "reference": reference, "reference_source": source,
            "n_real": n_real, "n_fake": n_fake, "image_shape": list(image_shape), "seed": seed, "params": dict(PARAMS)}


def comparable(a: dict, b: dict) -> list[str]:
    """Setup keys on which two records differ (empty: their scores may be compared)."""
    return [k for k in SETUP_KEYS if a.get(k) != b.get(k)]


def _extractor(spec: str | None, dataset: str, device, inception_weights, data_cfg=None):
    spec = spec or default_extractor(dataset)
    if spec is None:
        # The classifier is trained on what --data names: the path (and size) for data read from a file or
        # folder, whose bare stem ('pictures') would be looked up as a dataset name and not be found.
        data = dataset
        if data_cfg is not None and data_cfg.path:
            data = data_cfg.path + (f" --image-size {data_cfg.image_size}" if data_cfg.image_size else "")
        raise GankitError(f"no feature extractor for data '{dataset}' ships with gankit; expected --features "
                          f"pixels, inception, or classifier:FILE, e.g. one trained on labelled images with "
                          f"`gankit features train --data {data} -o {dataset}-classifier.safetensors`")
    return get_extractor(spec, device=device, inception_weights=inception_weights)


def check_extractor(names: list[str], asked: bool, extractor) -> list[str]:
    """Before sampling and extraction: IS reads the extractor's softmax, which `pixels` does not have.
    Asked for by name, that is an error now (it failed only once every image had been generated and
    featurised); in the default list it is left out."""
    if "is" in names and extractor.num_classes is None:
        if not asked:
            return [m for m in names if m != "is"]
        raise GankitError(f"metric 'is' needs an extractor with class probabilities (classifier:<...> or "
                          f"inception), not {extractor.name}; "
                          "drop 'is' from --metrics or choose another --features")
    return names


def check_sample_count(names: list[str], n: int, flag: str = "--n") -> None:
    """Fail before any image is generated or any feature extracted when n images a side are too few for a
    metric: the k-NN metrics need more than k of them (else prdc's "k must be in [1, n-1]", which names
    no option), FID and KID two (a covariance, an unbiased MMD). flag: the option that set n, for the message."""
    needs = [("dc", PARAMS["dc_k"], "density/coverage"), ("pr", PARAMS["pr_k"], "precision/recall")]
    for name, k, what in needs:
        if name in names and n <= k:
            raise GankitError(f"{flag} must be > k (={k}) for {what} ({name}); got {n} images a side")
    for name in ("fid", "kid"):
        if name in names and n < 2:
            raise GankitError(f"{flag} must be >= 2 for {name}; got {n} images a side")


# ---------------------------------------------------------------------------------------- entry points
def evaluate_run(run, metrics=None, n: int | None = None, features: str | None = None, reference: str | None = None,
                 seed: int = 0, device="cpu", inception_weights: str | None = None) -> dict:
    """Scores of n images from `run` against n real images of `reference` (default eval.reference_split)."""
    names = parse_metrics(metrics)
    cfg = run.cfg
    extractor = _extractor(features or cfg.eval.features, run.info.name, device,
                           inception_weights or cfg.eval.inception_weights, cfg.data)
    names = check_extractor(names, metrics is not None, extractor)
    reference = reference or cfg.eval.reference_split
    started = time.perf_counter()
    real_all, source = reference_images(cfg.data, reference)
    n = sample_size(n, len(real_all), f"the {reference} split")
    check_sample_count(names, n)
    real, fake = choose(real_all, n, seed), sample_pixels(run.generator, n, seed, progress=True)
    real_f, fake_f = extractor.extract(real, progress=True), extractor.extract(fake, progress=True)
    train_f = None
    if "nn" in names:
        train_images = real_all if reference == "train" else reference_images(cfg.data, "train")[0]
        train_f = extractor.extract(train_images, with_probs=False, progress=True).features
    extracted = time.perf_counter()
    neighbours: dict = {}
    scores = score_features(real_f, fake_f, names, seed, train_f, neighbours)
    if "nn" in names:
        from gankit.metrics.image_figures import save_nearest_neighbours

        save_nearest_neighbours(neighbours["distance"], neighbours["index"], fake, train_images,
                                run.dir / "plots" / "nearest_neighbours.png")
    setup = setup_record(extractor, data=run.info.name, reference=reference, source=source, n_real=len(real),
                         n_fake=len(fake), image_shape=run.info.shape, seed=seed)
    return {"run": str(run.dir), "step": run.step, "setup": setup, "scores": scores,
            "seconds": _seconds(started, extracted)}


def evaluate_reference(data_cfg, metrics=None, n: int | None = None, features: str | None = None, seed: int = 0,
                       device="cpu", inception_weights: str | None = None) -> dict:
    """The floor: n test images scored against n train images, as if they were a perfect G's samples."""
    from pathlib import Path

    from gankit.features.splits import load_split

    names = parse_metrics(metrics)
    if "nn" in names:  # never in the default list: asked for by name (was dropped: `--metrics nn` printed no score)
        raise GankitError("metric 'nn' (memorisation) scores a run's samples against its training images; with "
                          "--reference-only a test image's nearest train image says nothing: drop nn from --metrics")
    spec = data_cfg.path or data_cfg.name
    dataset = Path(spec).stem if data_cfg.path else spec
    extractor = _extractor(features, dataset, device, inception_weights, data_cfg)
    names = check_extractor(names, metrics is not None, extractor)
    started = time.perf_counter()
    split_args = dict(root=data_cfg.root, image_size=data_cfg.image_size, channels=data_cfg.channels)
    train, test = load_split(spec, "train", **split_args), load_split(spec, "test", **split_args)
    n = sample_size(n, min(len(train.images), len(test.images)), f"the smaller split of {dataset}")
    check_sample_count(names, n)
    real, fake = choose(train.images, n, seed), choose(test.images, n, seed)
    real_f, fake_f = extractor.extract(real, progress=True), extractor.extract(fake, progress=True)
    extracted = time.perf_counter()
    scores = score_features(real_f, fake_f, names, seed)
    setup = setup_record(extractor, data=dataset, reference="train", source=train.source, n_real=len(real),
                         n_fake=len(fake), image_shape=real.shape[1:], seed=seed)
    setup["fake_source"] = test.source  # the "generated" side is the test split
    return {"run": None, "step": None, "setup": setup, "scores": scores,
            "seconds": _seconds(started, extracted)}


def _seconds(started: float, extracted: float) -> dict:
    return {"images_and_features": round(extracted - started, 2), "scores": round(time.perf_counter() - extracted, 2)}


def format_result(result: dict) -> str:
    s = result["setup"]
    fake = s.get("fake_source") or f"{result['run']} (step {result['step']})"
    digest = (s["weights_sha256"] or "none")[:12]
    lines = [f"{s['n_fake']} images of {fake}", f"  vs {s['n_real']} real images of {s['reference_source']}",
             f"  features {s['features']} (weights sha256 {digest}, D={s['feature_dim']}), "
             f"image {'x'.join(map(str, s['image_shape']))}, seed {s['seed']}", f"  {'metric':<12} value"]
    scores = result["scores"]
    for key, value in scores.items():
        if key.endswith("_std"):
            continue
        spread = f" ± {scores[key + '_std']:.4g}" if key + "_std" in scores else ""
        lines.append(f"  {key:<12} {value:.6g}{spread}")
    return "\n".join(lines)


def extract_features(spec: str, *, n: int | None, data=None, run_dir: str | None = None, split: str = "train",
                     checkpoint: str = "latest", seed: int = 0, device="cpu", inception_weights=None) -> np.ndarray:
    """(N, D) float32 features of n real images (data) or of n samples of a run (run_dir). n None: DEFAULT_N,
    or all the real images if fewer; more real images than there are is an error (they were cut silently)."""
    extractor = get_extractor(spec, device=device, inception_weights=inception_weights)
    if run_dir is not None:
        from gankit.train.run import load_run

        run = load_run(run_dir, checkpoint, device=device)
        if run.info.kind != "image":
            raise GankitError(f"run {run_dir} makes vectors ({run.info.name}, {run.info.shape[0]} columns), not "
                              "images; features are extracted from an image run (vector runs: gankit evaluate RUN)")
        images = sample_pixels(run.generator, DEFAULT_N if n is None else n, seed, progress=True)
    else:
        from gankit.features.splits import load_split

        loaded = load_split(data.path or data.name, split, root=data.root, image_size=data.image_size,
                            channels=data.channels)
        images = choose(loaded.images, sample_size(n, len(loaded.images), f"the {split} split", flag="-n"), seed)
    return extractor.extract(images, with_probs=False, progress=True).features
