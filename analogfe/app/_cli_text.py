"""The examples and notes that ``analogfe SUBCOMMAND --help`` prints after its options."""

#: Subcommand -> the text after its options in ``--help``.
EPILOGS = {
    "simulate": """example:
  analogfe simulate astronaut -o sim-out
  analogfe simulate photo.dng --config my.toml -o sim-out

IMAGE_OR_RAW is an image file (PNG, JPEG, TIFF), a raw file (DNG, NEF, CR2,
ARW, ...) or the name of a scikit-image sample (astronaut, camera, coffee,
chelsea, ...). Writes stages.npz, one .npz per front end and preview PNGs.""",
    "cost": """example:
  analogfe cost --preset jssc2019-1.5b --fps 30
  analogfe cost --preset conventional --config cost.toml
  analogfe cost --preset jssc2019-1.5b-ms --frontend mypkg.frontends:MyFrontEnd

presets (front end, frame, rate, scales searched):
{presets}

The jssc2019 presets without -ms read one scale, as the paper's figures do;
the -ms ones also read the 1/2 and 1/4 binned scales, as 'compare' costs them.

--config FILE takes the [cost] section of an analogfe configuration, the
layout 'compare' reads ('analogfe config --defaults' prints it); other
sections are left alone:
  [cost]
  height = 240            # rows of the sensor
  width = 320             # columns
  fps = 1.0               # frames per second
  baselines = ["commercial-adc", "survey-adc"]   # the ratio tables printed
  [cost.options]          # cost constants (CostParams fields)
  link_pj_per_bit = 4.0""",
    "train": """example:
  analogfe train --frontend lg1.5 --model svm --dataset lfw -o train-out
  analogfe train --frontend rgb8 --model resnet10 --dataset path/to/voc -o train-out""",
    "evaluate": """example:
  analogfe evaluate train-out/svm-lg1.5.model.json
  analogfe evaluate train-out/resnet10-rgb8.model.json --dataset lfw --config my.toml

MODEL is the .model.json that 'analogfe train' wrote (its weights lie beside
it). Without --dataset, --config and --seed: the test split the model was
trained beside. Prints the test accuracy, its 95 % Wilson interval and n.""",
    "predict": """example:
  analogfe predict train-out/svm-lg1.5.model.json face.png street.jpg

Each IMAGE (8-bit PNG, JPEG, TIFF, ...) is resized to the model's image size
and made gray or RGB as its training images were; prints one line per image:
the file, the predicted class and its score (SVM: the signed decision value,
positive for the second class; ResNet: the softmax output of that class,
which sums to 1 over the classes but is not a calibrated probability).""",
    "fewshot": """example:
  analogfe fewshot examples/fewshot_small.toml -o fewshot-out
  analogfe fewshot -o fewshot-out                  # the default configuration
  analogfe fewshot --defaults > fewshot.toml       # every key with its meaning

Generates character classes of many scripts on natural textures, meta-trains a
Conv-4 embedding per front end (prototypical networks; first-order MAML for
comparison), and writes report.md, report.html, results.json and the plots:
N-way K-shot accuracy on meta-test classes, the enroll / query brightness
table, class-incremental enrollment without stored samples, and the cost. A
second run with the same configuration resumes meta-training and reuses
finished front ends.""",
    "config": """example:
  analogfe config --defaults > my.toml
  analogfe config my.toml
  analogfe config examples/fewshot_small.toml

Prints a configuration as TOML: every section and key, each with its meaning;
the [sensor] fields left at their defaults as comments. FILE is a
configuration of compare, sweep, budget, simulate or cost (one layout, the
one --defaults prints) or of fewshot (its own sections, [data], [train], ...:
'analogfe fewshot --defaults' prints them).""",
    "compare": """example:
  analogfe compare -o analogfe-out
  analogfe compare --dataset lfw --frontends rgb8,lg1.5     # into analogfe-out-lfw
  analogfe compare --config examples/compare_small.toml --seeds 0,1,2 -o out

Writes report.md, report.html, results.json and the plots to the output
folder; a second run with the same configuration reuses finished front ends.
A folder that holds another configuration's run is refused (--force replaces
its report): each dataset, --config file, --frontends and --seeds list has its
own default folder.""",
    "sweep": """example:
  analogfe sweep examples/sweep_small.toml -o sweep-out
  analogfe sweep grid.toml --scheduler tcp://10.0.0.5:8786 -o sweep-out

The [sweep.grid] table of CONFIG lists values per front-end parameter; every
combination is one Dask task. Writes sweep.csv, the plots and sweep.md.""",
    "fetch": """example:
  analogfe fetch lfw
  analogfe fetch pascalraw --data-home /data/analogfe

Downloads once into the cache, verifies the SHA-256 (published by the host, or
recorded at the first download), unpacks, and prints the dataset's folder: use
it as --dataset (pascalraw) or as a few-shot data.test_folder (lfw).""",
    "budget": """example:
  analogfe budget examples/budget_small.toml -o budget-out
  analogfe budget my.toml --scheduler tcp://10.0.0.5:8786 -o budget-out

The [budget] table of CONFIG gives the budgets (e.g. energy_uj, weight_bits),
the front ends and the search parameters. Writes family.csv, budget.md, the
plots and members/ (a checkpoint per member); the same command again resumes.""",
}
