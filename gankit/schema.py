"""The config schema: one dataclass per section, every field typed, defaulted and commented.

`gankit.config` reads YAML into these, applies `--set` overrides and validates them; this file
only says what a config holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The names a network's layers are built from (models/layers.py builds them; config.validate checks them).
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "none")
OUT_ACTIVATIONS = ("none", "sigmoid", "tanh")
INITS = ("glorot", "he_uniform", "normal", "torch")
# Seeds torch.manual_seed and torch.Generator accept (signed 64 bits); outside it they raise an overflow error.
SEED_RANGE = (-2**63, 2**63 - 1)
# Scores eval.best_metric may pick the best checkpoint by: the keys of metrics/image.py's HIGHER_IS_BETTER
# (tests/test_config.py keeps the two equal; the config cannot import the metrics, which import torch).
BEST_METRICS = ("fid", "kid", "precision", "recall", "coverage", "is")
# eval.features: how gankit/features/__init__.py's get_extractor names its extractors.
FEATURES = ("classifier:<dataset or .safetensors path>", "inception", "pixels")


@dataclass
class DataConfig:
    name: str = "circle"            # toy sampler, image dataset name, or "table"/"images" for a path
    path: str | None = None         # CSV/NPY table, image folder, IDX dir, NPZ: overrides the name lookup
    params: dict = field(default_factory=dict)  # sampler parameters, e.g. {radius: 2.0}
    normalize: str = "none"         # vector data: none | standard | minmax (undone by `generate`)
    limit: int | None = None        # keep only the first N examples (seed 001's one-example experiment)
    image_size: int | None = None   # images: resize + centre-crop to this size
    channels: int | None = None     # images: convert to 1, 3 or 4 channels
    root: str | None = None         # where named datasets (mnist, fashion-mnist) are looked up first
    download: bool = False          # fetch a named dataset when it is not found locally
    translation: str = "none"       # image-to-image data at data.path: none | paired (A|B side by side) | unpaired
                                    # (trainA/, trainB/); fashion-edges2items / fashion-unpaired set it themselves
    direction: str = "AtoB"         # translation data: AtoB | BtoA (swap the domains)
    bank: int = 500                 # translation data: held-out source images kept with the run (sample(n) translates them)


@dataclass
class NetConfig:
    hidden: list[int] = field(default_factory=lambda: [32, 16])  # MLP widths
    activation: str = "relu"        # relu | leaky_relu | tanh | sigmoid | none (linear layers)
    slope: float = 0.2              # leaky_relu negative slope
    init: str = "glorot"            # glorot (Keras default) | he_uniform | normal (N(0, 0.02)) | torch
    hidden_init: str | None = None  # init of the hidden layers when different from `init`
    batchnorm: bool = False
    bn_momentum: float = 0.1        # torch convention: Keras momentum 0.99 == torch 0.01
    bn_eps: float = 1e-5
    dropout: float = 0.0
    out_activation: str = "none"    # G only: none | sigmoid | tanh (D always outputs a logit)
    feature_dim: int | None = None  # D only: a linear feature layer of this width before the output
    spectral_norm: bool = False
    options: dict = field(default_factory=dict)  # architecture-specific knobs (dcgan widths, ...)


@dataclass
class CondConfig:
    """Class conditioning (cgan, acgan) and InfoGAN latent codes (docs/algorithms.md)."""
    embed_dim: int | None = None    # label embedding appended to z: null = one-hot (Mirza & Osindero 2014)
    d_mode: str = "projection"      # cgan D: projection (Miyato & Koyama 2018) | concat (label maps on the input)
    categorical: list[int] = field(default_factory=list)  # InfoGAN: categories of each code (Chen et al. 2016: [10])
    continuous: int = 0             # InfoGAN: number of continuous codes ~ U(-1, 1) (Chen et al. 2016: 2)


@dataclass
class ProgressiveConfig:
    """Progressive GAN's growing schedule (train.algorithm: progan; Karras et al. 2018, sec. 2 and A.1)."""
    fade_steps: int = 2000          # training steps over which each new resolution fades in (α: 0 -> 1)
    stable_steps: int = 2000        # steps each resolution trains at α = 1 (the first: only this; the last: to the end)


@dataclass
class ModelConfig:
    arch: str = "mlp"
    latent_dim: int = 3
    latent: str = "normal"          # normal | uniform (on [-1, 1])
    g: NetConfig = field(default_factory=NetConfig)
    d: NetConfig = field(default_factory=NetConfig)
    cond: CondConfig = field(default_factory=CondConfig)
    progressive: ProgressiveConfig = field(default_factory=ProgressiveConfig)


@dataclass
class LossConfig:
    name: str = "nonsaturating"     # minimax | nonsaturating | (more in losses.LOSSES)
    real_label: float = 1.0         # < 1 is one-sided label smoothing (Salimans et al. 2016)
    d_scale: float = 1.0            # D loss = d_scale * (loss_real + loss_fake); seed 001 uses 0.5
    info_cat: float = 1.0           # InfoGAN λ of the categorical mutual-information term (Chen et al. 2016: 1)
    info_cont: float = 0.1          # InfoGAN λ of the continuous term (Chen et al.: smaller than the categorical)
    aux_weight: float = 1.0         # AC-GAN weight of the auxiliary classification loss (Odena et al. 2017: 1)
    l1_weight: float = 100.0        # pix2pix λ of the L1 term |B - G(A)| (Isola et al. 2017, eq. 4: 100)
    cycle_weight: float = 10.0      # cyclegan λ of the cycle-consistency loss (Zhu et al. 2017, sec. 4: 10)
    identity_weight: float = 0.5    # cyclegan identity loss, as a fraction of λ (Zhu et al. 2017, sec. 5.2: 0.5; 0 = off)


@dataclass
class OptimizerConfig:
    name: str = "adam"              # adam | rmsprop | sgd
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    alpha: float = 0.99             # rmsprop smoothing (TF1's `decay`)
    momentum: float = 0.0
    weight_decay: float = 0.0


@dataclass
class OptimConfig:
    g: OptimizerConfig = field(default_factory=OptimizerConfig)
    d: OptimizerConfig = field(default_factory=OptimizerConfig)


@dataclass
class RegConfig:
    """Penalties and stabilisers; all off by default (docs/algorithms.md explains each)."""
    gp_weight: float = 0.0          # λ of the WGAN-GP gradient penalty (Gulrajani et al. 2017: 10)
    r1_gamma: float = 0.0           # γ of the R1 penalty on real data (Mescheder et al. 2018)
    r1_every: int = 1               # lazy R1: apply every k D updates, scaled by k (Karras et al. 2020: 16)
    clip: float = 0.0               # clip D's weights to [-c, c] after each update (Arjovsky et al. 2017: 0.01)
    instance_noise: float = 0.0     # σ of Gaussian noise added to D's inputs, annealed linearly to 0
    instance_noise_steps: int | None = None  # D updates over which σ reaches 0 (default: the whole run)
    ema_beta: float = 0.0           # EMA of G's weights, θ_ema <- β θ_ema + (1 - β) θ (Karras et al. 2018: 0.999)
    pack: int = 1                   # PacGAN: D judges packs of m samples (Lin et al. 2018: m = 2..4)
    minibatch_std: bool = False     # append the minibatch standard deviation to D's input (Karras et al. 2018)


@dataclass
class TrainConfig:
    algorithm: str = "gan"
    steps: int = 10001              # iterations; one = d_steps D updates then g_steps G updates
    epochs: int | None = None       # when set: steps = epochs * (N // (batch_size * processes)), N = data size
    batch_size: int = 128           # real examples per D update (per process under DDP)
    fake_batch_size: int | None = None  # fakes per D update (default: batch_size)
    g_batch_size: int | None = None     # latents per G update (default: batch_size)
    d_steps: int = 1
    g_steps: int = 1
    d_update: str = "joint"         # joint: one D update on real+fake | split: Keras-style real then fake
    same_batch: bool = False        # seed 004: one real batch and one noise batch for a whole iteration
    augment: str = ""               # DiffAugment policy (Zhao et al. 2020): "" | "color,translation,cutout"
    seed: int = 0
    out_dir: str = "runs"
    name: str | None = None         # run directory name; default: the preset's name
    device: str = "auto"            # auto (cuda > mps > cpu) | cpu | cuda | cuda:N | mps
    precision: str = "fp32"         # fp32 | bf16 (autocast; fp32 master weights)
    compile: bool = False           # torch.compile the networks
    compile_mode: str = "default"   # torch.compile's mode: default | reduce-overhead (CUDA graphs) | max-autotune
    channels_last: bool = False     # images: NHWC memory layout for convolutions
    manual_backward: bool = True    # plain MLP GANs: gradients by hand, not autograd (same maths; toys 1.4-1.9x faster)
    keep_freed_memory: bool = True  # CPU, glibc: freed memory stays mapped for the next step (train/host_memory.py)
    deterministic: bool = True      # CUDA: deterministic cuDNN kernels (exact resume; ~0-10 % slower on an H100)
    time_limit: float | None = None  # stop after this many seconds of training (benchmarks at equal budgets)
    threads: int | None = None      # CPU threads for torch (default: 1 for tiny MLPs, else torch's choice)
    lr_decay: str = "none"          # none | linear | cosine: learning rates decay to 0 by the last step
    lr_decay_start: float = 0.0     # fraction of training after which the decay begins
    log_every: int = 10
    checkpoint_every: int | None = None  # default: eval.every
    keep_last: int = 3              # checkpoints kept besides the newest
    tensorboard: bool = False
    progress: bool = True


@dataclass
class EvalConfig:
    every: int = 1000               # evaluation hooks (samples, plots, metrics) every N iterations
    n_samples: int = 1000           # fixed-noise samples drawn at each evaluation
    n_metric: int = 2500            # samples for metrics (PacGAN protocol: 2,500)
    n_accuracy: int = 100           # real and fake examples for D's accuracy (seeds 000 and 002)
    grid: int = 25                  # images: fakes shown in each sample grid (seed 002: 5x5)
    every_epochs: int | None = None  # when set: every = every_epochs epochs (see train.epochs), and the
                                     # end of epoch 1 is evaluated too (seed 003: epoch 1, then every 5)
    predict: int = 0                # images: at the end, this many fakes as predict/image_XX.png + summary.png
    plots: bool = True
    metrics: bool = True            # toy metrics (vectors) and image metrics (images) at each evaluation
    image_metrics: list[str] = field(default_factory=list)  # images: fid, kid, pr, dc, is at each eval (docs/metrics.md)
    features: str | None = None     # images: classifier:<data|path> | inception | pixels (null: shipped classifier)
    n_image_metric: int = 2000      # images: real and generated images scored at each evaluation
    reference_split: str = "train"  # images: real images to compare with: train (what G saw) | test
    best_metric: str | None = None  # fid | kid | precision | recall | coverage | is: keep checkpoints/best.json
    inception_weights: str | None = None  # FID Inception weights file (else $GANKIT_INCEPTION_WEIGHTS)


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    reg: RegConfig = field(default_factory=RegConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    preset: str | None = None       # name of the preset it came from (informational)
