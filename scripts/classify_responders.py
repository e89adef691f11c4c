"""classify_responders: responder labels per subject and rule (subjects.parquet)."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from assaypipe.io import write_table
from assaypipe.responders import classify_responders
from assaypipe.settings import Settings
from assaypipe.sheets import read_outcomes, read_subjects

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    subjects = classify_responders(
        read_subjects(snakemake.input.subjects),
        read_outcomes(snakemake.input.outcomes),
        settings.responders,
    )
    primary = subjects[subjects["primary"]]
    log.info("%s", primary["group"].value_counts().to_dict())
    write_table(
        subjects, snakemake.output[0], command="classify_responders", config=snakemake.config
    )
end_job()  # last: the outputs are written and the log closed
