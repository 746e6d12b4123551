"""Settings the couple chooses (names, voice, pace), kept owner-only in the config folder."""

import dataclasses
import difflib
import reprlib
from dataclasses import dataclass
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import ConfigError

FILENAME = "config.yaml"


@dataclass(frozen=True)
class Settings:
    partner_a: str = "Partner A"
    """The first partner's name, as shown and (unless partner_a_say is set) as spoken."""
    partner_b: str = "Partner B"
    """The second partner's name."""
    partner_a_say: str = ""
    """How the voice should say the first name, spelled to sound right ("Siobhan" -> "Shivawn")."""
    partner_b_say: str = ""
    """How the voice should say the second name."""
    voice: str = ""
    """The speech engine's voice id; empty means the engine's default (see 'voicecoach voices')."""
    rate_wpm: int = 160
    """Speaking rate in words per minute: calm and unhurried by default."""
    volume: float = 0.9
    """Loudness from 0.1 to 1.0."""
    helplines: str = ""
    """Where to turn for help, in the couple's own country, shown in the safety note."""
    prepare_seconds: int = 30
    """The 'get comfortable' countdown before a planned exercise ('voicecoach today'); 0: none."""
    spoken_reminders: bool = False
    """Reminders are also spoken aloud, not only shown; off by default, to stay discreet."""
    streaks: bool = True
    """Show practice days per week in 'voicecoach stats'; off hides them."""
    speech_engine: str = ""
    """What hears spoken cues: whisper or pocketsphinx; empty means Whisper when its model is installed."""
    speech_model: str = ""
    """Another CTranslate2 Whisper model folder (e.g. base.en) instead of the installed tiny.en."""

    def names(self) -> dict:
        return {"A": self.partner_a, "B": self.partner_b}

    def spoken_names(self) -> dict:
        return {"A": self.partner_a_say or self.partner_a, "B": self.partner_b_say or self.partner_b}


# The names people type on the command line, and how to read each value.
KEYS = {
    "partner-a": "partner_a",
    "partner-b": "partner_b",
    "partner-a-say": "partner_a_say",
    "partner-b-say": "partner_b_say",
    "voice": "voice",
    "rate": "rate_wpm",
    "volume": "volume",
    "helplines": "helplines",
    "prepare-seconds": "prepare_seconds",
    "spoken-reminders": "spoken_reminders",
    "streaks": "streaks",
    "speech-engine": "speech_engine",
    "speech-model": "speech_model",
}
LIMITS = {"rate_wpm": (80, 320), "volume": (0.1, 1.0), "prepare_seconds": (0, 600)}
CHOICES = {"speech_engine": ("whisper", "pocketsphinx")}
SWITCH = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def path(create: bool = False) -> Path:
    """Where the settings live; the folder is made only when they are first saved."""
    return paths.config_dir(create=create) / FILENAME


ALIASES = "aliases (*name)"


def _loader():
    """PyYAML's safe loader without aliases: settings never need one, and a few hundred bytes of
    nested aliases expand to gigabytes (a "billion laughs") once built. The nodes YAML composes
    share an alias's node instead of copying it, so a node met twice is an alias, found cheaply."""
    import yaml

    class SettingsLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml limits nesting too
        def construct_document(self, node):
            seen, waiting = set(), [node]
            while waiting:  # a stack, not recursion: deep nesting must not overflow Python's
                node_here = waiting.pop()
                if id(node_here) in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"{ALIASES} are not used in settings",
                                                            node_here.start_mark)
                seen.add(id(node_here))
                if isinstance(node_here, yaml.MappingNode):
                    waiting.extend(child for pair in node_here.value for child in pair)
                elif isinstance(node_here, yaml.SequenceNode):
                    waiting.extend(node_here.value)
            return super().construct_document(node)

    return SettingsLoader


def load(file: Path | None = None) -> Settings:
    """Read the settings; a missing file means the defaults."""
    file = file or path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot be read ({error})") from None
    import yaml  # here, not at the top: most commands read no settings, and yaml takes a while to import

    try:
        data = yaml.load(text, Loader=_loader()) or {}  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        why = f" ({error.problem})" if getattr(error, "problem", None) else ""
        raise ConfigError(f"{where}: not valid YAML{why}; fix it or remove the file to start again") from None
    except RecursionError:
        raise ConfigError(f"{file}: not valid YAML (nested too deeply); fix it or remove the file to start again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected settings like 'partner-a: Sam'")
    settings = Settings()
    for key, value in data.items():
        settings = with_value(settings, str(key), value, where=str(file))
    return settings


def with_value(settings: Settings, key: str, value, where: str = "") -> Settings:
    """A copy of settings with one value changed, checked; raises ConfigError naming the key."""
    prefix = f"{where}: " if where else ""
    if key not in KEYS:
        close = difflib.get_close_matches(key, KEYS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known settings: {', '.join(KEYS)}"
        raise ConfigError(f"{prefix}unknown setting {key!r}{hint}")
    name = KEYS[key]
    default = getattr(Settings(), name)
    if isinstance(default, str):
        value = "" if value is None else str(value).strip()
        if name.startswith("partner_") and not name.endswith("_say") and not value:
            raise ConfigError(f"{prefix}{key} cannot be empty")
        if name in CHOICES:
            value = value.lower()
            if value and value not in CHOICES[name]:
                raise ConfigError(f"{prefix}{key} must be {' or '.join(CHOICES[name])}, not {reprlib.repr(value)}")
        if name == "speech_model" and value and not where and not (Path(value).expanduser() / "model.bin").is_file():
            raise ConfigError(f"{key}: {value} is not a CTranslate2 Whisper model folder (no model.bin in it)")
        longest = 300 if name in ("helplines", "speech_model") else 60
        if len(value) > longest:
            raise ConfigError(f"{prefix}{key} is too long ({longest} characters at most)")
        if any(not char.isprintable() for char in value):
            raise ConfigError(f"{prefix}{key} must be one line of plain text")
        if name.startswith("partner_") and ("{" in value or "}" in value):
            raise ConfigError(f"{prefix}{key} cannot contain braces: {{A}} and {{B}} stand for the names")
        other = {"partner_a": "partner_b", "partner_b": "partner_a"}.get(name)
        # only when set: a file that already has two equal names still loads
        if other and not where and value.casefold() == getattr(settings, other).casefold():
            raise ConfigError(f"{key} cannot be {value!r}: that is already the other partner's name")
    elif isinstance(default, bool):
        switch = SWITCH.get(str(value).strip().lower())
        if switch is None:
            raise ConfigError(f"{prefix}{key} must be on or off, not {reprlib.repr(value)}")
        value = switch
    else:
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        except OverflowError:  # a whole number of hundreds of digits
            number = float("inf")
        if number in (float("inf"), float("-inf")):
            low, high = LIMITS[name]
            raise ConfigError(f"{prefix}{key} must be from {low} to {high}, not {reprlib.repr(value)}")
        if number is None or (isinstance(default, int) and not number.is_integer()):
            kind = "a whole number" if isinstance(default, int) else "a number"
            raise ConfigError(f"{prefix}{key} must be {kind}, not {reprlib.repr(value)}")
        value = type(default)(number)
        low, high = LIMITS[name]
        if not low <= value <= high:
            raise ConfigError(f"{prefix}{key} must be from {low} to {high}, not {value}")
    return dataclasses.replace(settings, **{name: value})


def save(settings: Settings, file: Path | None = None) -> Path:
    """Write the settings atomically and owner-only, through the same temporary file as every other
    write (vault.write_atomically), so a crash's leftover is swept at the next start."""
    import yaml

    from voicecoach import vault

    file = file or path(create=True)
    data = {key: getattr(settings, name) for key, name in KEYS.items()
            if getattr(settings, name) != getattr(Settings(), name)}
    vault.write_atomically(file, yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8"))
    return file


def as_dict(settings: Settings) -> dict:
    return {key: getattr(settings, name) for key, name in KEYS.items()}


def as_text(settings: Settings) -> dict:
    """The settings as 'config set' takes them: switches as on or off."""
    return {key: ("on" if value else "off") if isinstance(value, bool) else str(value)
            for key, value in as_dict(settings).items()}


def accepted(key: str) -> str:
    """What a setting takes, for the help: a range, on or off, or text."""
    name = KEYS[key]
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return "on or off"
    if name in LIMITS:
        low, high = LIMITS[name]
        return f"{low} to {high}"
    if name == "voice":
        return "a voice id from 'voicecoach voices'"
    if name in CHOICES:
        return " or ".join(CHOICES[name])
    if name == "speech_model":
        return "a CTranslate2 Whisper model folder"
    if name.endswith("_say"):
        return "the name spelled as it should sound"
    return "a name" if name.startswith("partner_") else "text"
