"""API calling: natural-language argument values are translated once, the same in query and call."""

import pytest

from mlpt import scoring, translate


def fake_mt(texts, src, tgt):
    """Upper-cases text (placeholders like [V0] survive, as from a well-behaved MT model)."""
    return [f"<{t.upper()}>" for t in texts]


def _api(question, call):
    return {"id": "a", "task": "api", "lang": "en", "split": "train", "question": question, "apis": "{}",
            "call": call, "answer": scoring.canonical_call(call)}


def test_value_in_query_is_translated_consistently():
    rec = _api("User: Find a cardiologist in Los Angeles for tomorrow.TIME: 2034-04-15 10:00:00",
               "FindDoctor(specialty='cardiologist', city='Los Angeles', date='2034-04-16')")
    (out,), _ = translate.translate_records([rec], "api_call", "en", "es", fake_mt)
    # the values were translated on their own; the same translation sits in the query and in the call
    assert out["call"] == "FindDoctor(specialty='<CARDIOLOGIST>', city='<LOS ANGELES>', date='2034-04-16')"
    assert out["question"] == "User: <FIND A <CARDIOLOGIST> IN <LOS ANGELES> FOR TOMORROW.>TIME: 2034-04-15 10:00:00"
    assert out["answer"] == scoring.canonical_call(out["call"]) and out["flags"] == []


@pytest.mark.parametrize("key, value", [
    ("date", "2034-04-16"), ("time", "10:00"), ("email", "jo@example.com"), ("url", "https://x.org/a"),
    ("patient_id", "Smith"), ("user_id", "A12345"), ("amount", "1,500.00"), ("token", "abc"),
    ("name", "user_name1"), ("appointmentDate", "tomorrow"), ("code", "XK-12"), ("userId", "Bob"),
])
def test_non_linguistic_values_are_never_translated(key, value):
    assert not translate.is_natural_language(key, value)


@pytest.mark.parametrize("key, value", [("city", "Los Angeles"), ("keywords", "mental health hotline"),
                                        ("occupation", "Financial Analyst"), ("paid_item", "dinner"),
                                        ("drug_name", "aspirin")])
def test_natural_language_values_are_translated(key, value):
    assert translate.is_natural_language(key, value)


def test_values_not_in_the_query_and_keys_and_names_are_untouched():
    rec = _api("User: Book it for me please.\nAPI-Request: [Lookup(query='spa')]->{'name': 'spa'}",
               "BookRoom(hotel='Grand Hotel', user_id='u1')")
    (out,), _ = translate.translate_records([rec], "api_call", "en", "ja", fake_mt)
    assert out["call"] == rec["call"] and out["answer"] == rec["answer"]
    assert out["question"].endswith("\nAPI-Request: [Lookup(query='spa')]->{'name': 'spa'}")


def test_quotes_in_a_translation_stay_a_valid_call():
    rec = _api("User: Play Yesterday now.", "PlaySong(title='Yesterday')")
    (out,), _ = translate.translate_records([rec], "api_call", "en", "fr", lambda t, s, g: [x.replace("Yesterday", "l'hier") for x in t])
    assert out["call"] == "PlaySong(title='l\\'hier')" and scoring.parse_api_call(out["call"]).args == (("title", "l'hier"),)
    assert out["question"] == "User: Play l'hier now." and out["flags"] == []


def test_a_lost_placeholder_is_flagged():
    rec = _api("User: Find a cardiologist please.", "FindDoctor(specialty='cardiologist')")
    (out,), _ = translate.translate_records([rec], "api_call", "en", "es", lambda t, s, g: ["busca un médico" for _ in t])
    assert "structure" in out["flags"]


def test_value_appearing_twice_gets_one_translation():
    rec = _api("User: Rome? Yes, Rome.", "Weather(city='Rome')")
    calls = []

    def mt(texts, src, tgt):
        calls.extend(texts)
        return [t.replace("Rome", "Roma") for t in texts]

    (out,), _ = translate.translate_records([rec], "api_call", "en", "it", mt)
    assert calls.count("Rome") == 1 and out["question"] == "User: Roma? Yes, Roma." and out["call"] == "Weather(city='Roma')"


def test_non_linguistic_value_in_the_query_is_kept_verbatim_in_both():
    rec = _api("User: Cancel appointment A12345 on 2034-04-16 with Dr. Lee.",
               "CancelAppointment(appointment_id='A12345', date='2034-04-16', doctor='Dr. Lee')")
    seen = []

    def mt(texts, src, tgt):
        seen.extend(texts)
        return [t.replace("Cancel appointment", "Annuler le rendez-vous").replace("Dr. Lee", "Dr Lee") for t in texts]

    (out,), _ = translate.translate_records([rec], "api_call", "en", "fr", mt)
    assert seen == ["Dr. Lee", "Cancel appointment [V0] on [V1] with [V2]."]  # ids and dates never reach MT
    assert out["question"] == "User: Annuler le rendez-vous A12345 on 2034-04-16 with Dr Lee."
    assert out["call"] == "CancelAppointment(appointment_id='A12345', date='2034-04-16', doctor='Dr Lee')"


def test_the_date_line_is_never_translated():
    """The instruction's date (the year some gold calls need) reaches every language as it is."""
    rec = {**_api("User: Move it to March 26th.", "ModifyAppointment(new_date='2023-03-26')"),
           "date": "The current year is 2023."}
    (out,), _ = translate.translate_records([rec], "api_call", "en", "bn", fake_mt)
    assert out["date"] == rec["date"] and out["question"] == "User: <MOVE IT TO MARCH 26TH.>"
