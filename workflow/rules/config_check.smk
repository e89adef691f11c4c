import sys

from assaypipe.errors import InputError
from assaypipe.yamlfile import check_config_file

# Before `configfile:` reads it: Snakemake's merge of a config copies every value an
# alias stands for, so a few lines of aliases could take all the memory there is.
try:
    check_config_file("config/config.yaml")
except InputError as error:
    sys.exit(f"error: {error}")
