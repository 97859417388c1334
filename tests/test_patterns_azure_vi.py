"""Azure Video Indexer insights import (hand-written JSON in the documented schema)."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

from rushes.errors import QueryError
from rushes.patterns import evaluate_query, load_insights, read_video_indexer
from rushes.patterns.azure_vi import VI_TIME_BASE, parse_vi_time

INSIGHTS = {
    "accountId": "00000000-0000-0000-0000-000000000000",
    "id": "abc123",
    "name": "spring advert",
    "state": "Processed",
    "durationInSeconds": 30,
    "videos": [{
        "id": "abc123",
        "name": "spring_advert.mp4",
        "state": "Processed",
        "insights": {
            "version": "1.0.0.0",
            "duration": "0:00:30.03",
            "sourceLanguage": "en-US",
            "transcript": [
                {"id": 1, "text": "Thank you for watching.", "confidence": 0.93, "speakerId": 1,
                 "language": "en-US",
                 "instances": [{"adjustedStart": "0:00:26.1", "adjustedEnd": "0:00:28.4",
                                "start": "0:00:26.1", "end": "0:00:28.4"}]},
            ],
            "ocr": [
                {"id": 1, "text": "SPRING SALE", "confidence": 0.97, "language": "en-US",
                 "instances": [{"start": "0:00:25.2", "end": "0:00:30.03"}]},
            ],
            "keywords": [
                {"id": 1, "text": "sale", "confidence": 0.8, "language": "en-US",
                 "instances": [{"start": "0:00:26.1", "end": "0:00:28.4"}]},
            ],
            "labels": [
                {"id": 1, "name": "person", "language": "en-US",
                 "instances": [{"confidence": 0.99, "start": "0:00:00", "end": "0:00:24.5"}]},
                {"id": 2, "name": "logo", "language": "en-US",
                 "instances": [{"confidence": 0.8, "start": "0:00:25.5", "end": "0:00:30.03"},
                               {"confidence": 0.6, "start": "00: 00: 03.2000000", "end": "00: 00: 04.0000000"}]},
            ],
            "faces": [
                {"id": 1001, "name": "Unknown #1", "confidence": 0.0, "thumbnailId": "t1",
                 "instances": [{"thumbnailsIds": ["t1"], "adjustedStart": "0:00:01", "adjustedEnd": "0:00:09.5",
                                "start": "0:00:01", "end": "0:00:09.5"}]},
            ],
            "namedPeople": [
                {"id": 1, "name": "Jane Doe", "confidence": 0.9, "referenceId": "Jane_Doe",
                 "instances": [{"start": "0:00:26.1", "end": "0:00:28.4"}]},
            ],
            "namedLocations": [
                {"id": 1, "name": "Paris", "confidence": 0.7, "instances": [{"start": "0:00:05", "end": "0:00:06"}]},
            ],
            "brands": [
                {"id": 1, "name": "Contoso", "confidence": 0.95,
                 "instances": [{"brandType": "Ocr", "start": "0:00:25.2", "end": "0:00:30.03"}]},
            ],
            "detectedObjects": [
                {"id": 1, "type": "Car", "displayName": "car", "wikiDataId": "Q1420",
                 "instances": [{"confidence": 0.47, "start": "0:00:02", "end": "0:00:07.44"}]},
            ],
            "emotions": [{"id": 1, "type": "Joy", "instances": [{"start": "0:00:26", "end": "0:00:28"}]}],
            "sentiments": [{"id": 1, "averageScore": 0.9, "sentimentType": "Positive",
                            "instances": [{"start": "0:00:26.1", "end": "0:00:28.4"}]}],
            "audioEffects": [{"id": 1, "type": "Silence", "instances": [{"start": "0:00:29", "end": "0:00:30.03"}]}],
            "topics": [{"id": 1, "name": "Retail", "confidence": 0.6,
                        "instances": [{"start": "0:00:00", "end": "0:00:30.03"}]}],
            "scenes": [{"id": 1, "instances": [{"start": "0:00:00", "end": "0:00:25.1"}]},
                       {"id": 2, "instances": [{"start": "0:00:25.1", "end": "0:00:30.03"}]}],
            "shots": [
                {"id": 1, "tags": ["Wide"],
                 "keyFrames": [{"id": 1, "instances": [{"thumbnailId": "k1", "start": "0:00:01.2",
                                                        "end": "0:00:01.24"}]}],
                 "instances": [{"start": "0:00:00", "end": "0:00:25.1"}]},
                {"id": 2, "keyFrames": [{"id": 2, "instances": [{"thumbnailId": "k2", "start": "0:00:27",
                                                                 "end": "0:00:27.04"}]}],
                 "instances": [{"start": "0:00:25.1", "end": "0:00:30.03"}]},
            ],
            "blocks": [{"id": 0, "instances": [{"start": "0:00:00", "end": "0:00:30.03"}]}],
            "statistics": {"correspondenceCount": 0},
        },
    }],
}


def test_time_parsing():
    assert parse_vi_time("0:00:01.2") == Fraction(6, 5)
    assert parse_vi_time("00:00:07.2400000") == Fraction(724, 100)
    assert parse_vi_time("00: 01: 33.8670000") == 93 + Fraction(867, 1000)
    assert parse_vi_time("1:02:03") == 3723
    assert parse_vi_time(2.5) == Fraction(5, 2)
    for bad in ("soon", "1:2", "-0:00:01", None, True, -3):
        with pytest.raises(QueryError):
            parse_vi_time(bad)


def test_import_every_dimension(tmp_path):
    path = tmp_path / "insights.json"
    path.write_text(json.dumps(INSIGHTS), encoding="utf-8")
    vi = read_video_indexer(path, media=7)
    assert sorted(vi.tracks) == ["audio", "brand", "emotion", "face", "keyframe", "keyword", "location", "object",
                                 "ocr", "person", "said", "scene", "sentiment", "shot", "tag", "topic"]
    tags = vi.tracks["tag"]
    assert tags.time_base == VI_TIME_BASE
    assert tags.labels() == ["person", "logo", "logo"]
    assert tags.score.tolist() == [0.99, 0.8, 0.6]
    assert [(r.start_seconds, r.end_seconds) for r in tags] == [(0.0, 24.5), (25.5, 30.03), (3.2, 4.0)]
    assert set(tags.media.tolist()) == {7}
    assert tags.data["vi_id"].tolist() == ["1", "2", "2"]
    assert vi.tracks["said"].labels() == ["Thank you for watching."]
    assert vi.tracks["said"].score.tolist() == [0.93]
    assert vi.tracks["ocr"].labels() == ["SPRING SALE"]
    assert vi.tracks["object"].labels() == ["car"]
    assert vi.tracks["emotion"].labels() == ["Joy"]
    assert vi.tracks["sentiment"].labels() == ["Positive"]
    assert vi.tracks["shot"].labels() == ["shot 1", "shot 2"]
    assert vi.tracks["keyframe"].labels() == ["keyframe 1", "keyframe 2"]
    assert vi.tracks["scene"].labels() == ["scene 1", "scene 2"]
    assert vi.tracks["person"].labels() == ["Jane Doe"]
    assert vi.durations == {7: Fraction(3003, 100)}
    assert vi.names == {7: "spring_advert.mp4"}
    assert load_insights(path)["tag"].media.tolist() == [0, 0, 0]


def test_imported_tracks_feed_queries():
    src = read_video_indexer(INSIGHTS).source()
    during = evaluate_query("tag:logo DURING shot:*", src)
    assert during.start_seconds.tolist() == pytest.approx([3.2])  # the end card's logo ends with its shot: FINISHES
    hits = evaluate_query('tag:logo FINISHES shot:* AND ocr:"spring sale"', src)
    assert [(r.start_seconds, r.end_seconds) for r in hits] == [(25.5, 30.03)]
    said = evaluate_query("said:*watching* DURING scene:*", src)
    assert len(said) == 1


def test_adjusted_times_text_and_bare_insights():
    doc = copy.deepcopy(INSIGHTS)
    doc["videos"][0]["insights"]["faces"][0]["instances"][0]["adjustedStart"] = "0:01:01"
    doc["videos"][0]["insights"]["faces"][0]["instances"][0]["adjustedEnd"] = "0:01:09.5"
    faces = read_video_indexer(doc, adjusted=True).tracks["face"]
    assert (faces.start_seconds.tolist(), faces.end_seconds.tolist()) == ([61.0], [69.5])
    assert read_video_indexer(json.dumps(doc)).tracks["face"].start_seconds.tolist() == [1.0]
    bare = read_video_indexer(doc["videos"][0]["insights"])
    assert bare.tracks["tag"].labels() == ["person", "logo", "logo"]
    single = read_video_indexer(doc["videos"][0])
    assert single.names == {0: "spring_advert.mp4"}
    summarized = {"labels": [], "namedPeople": [{"id": 2, "name": "Satya Nadella", "appearances": [
        {"startTime": "0:01:11.04", "endTime": "0:01:17.36", "startSeconds": 71, "endSeconds": 77.4}]}]}
    people = read_video_indexer(summarized).tracks["person"]
    assert people.start[0] * people.time_base == Fraction(7104, 100)


def test_playlists_get_consecutive_media_ids():
    doc = copy.deepcopy(INSIGHTS)
    second = copy.deepcopy(doc["videos"][0])
    second["name"] = "second.mp4"
    second["insights"]["duration"] = "0:00:10"
    doc["videos"].append(second)
    vi = read_video_indexer(doc, media=3)
    assert vi.names == {3: "spring_advert.mp4", 4: "second.mp4"}
    assert sorted(set(vi.tracks["tag"].media.tolist())) == [3, 4]
    assert vi.durations[4] == Fraction(3003, 100)  # rows beyond the stated duration extend it


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "expected a JSON object"),
        ({"hello": 1}, "no 'videos', 'insights'"),
        ({"videos": [3]}, "videos[0]: expected an object with an 'insights' object"),
        ({"labels": {"a": 1}}, "labels: expected a list"),
        ({"labels": [3]}, "labels[0]: expected an object"),
        ({"labels": [{"name": "x", "instances": [{"start": "later", "end": "0:00:01"}]}]},
         "labels[0].instances[0].start: expected a time"),
        ({"labels": [{"name": "x", "instances": [{"start": "0:00:02", "end": "0:00:01"}]}]}, "ends before it starts"),
        ({"labels": [{"name": "x", "instances": 5}]}, "instances: expected a list"),
    ],
)
def test_bad_documents_raise_query_errors(doc, message):
    with pytest.raises(QueryError) as info:
        read_video_indexer(doc) if not isinstance(doc, list) else read_video_indexer(json.dumps(doc))
    assert message in str(info.value)


def test_unreadable_inputs(tmp_path):
    with pytest.raises(QueryError, match="cannot read insights file"):
        read_video_indexer(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(QueryError, match="not valid JSON"):
        read_video_indexer(bad)
