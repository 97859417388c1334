"""Media layer: probing, decoding (once, fanned out), audio extraction, fingerprints."""

from rushes.media.decode import (
    AUDIO_RATE,
    AudioChunk,
    DecodeStats,
    FrameConsumer,
    FrameSpec,
    VideoFrame,
    decode,
    extract_audio,
    iter_frames,
    read_frame_at,
)
from rushes.media.fingerprint import fingerprint
from rushes.media.probe import AudioStreamInfo, MediaInfo, VideoStreamInfo, probe

__all__ = [
    "AUDIO_RATE",
    "AudioChunk",
    "AudioStreamInfo",
    "DecodeStats",
    "FrameConsumer",
    "FrameSpec",
    "MediaInfo",
    "VideoFrame",
    "VideoStreamInfo",
    "decode",
    "extract_audio",
    "fingerprint",
    "iter_frames",
    "probe",
    "read_frame_at",
]

#: file name extensions ingest looks at when given a folder (anything else is skipped silently)
MEDIA_EXTENSIONS = frozenset({
    ".mov", ".mp4", ".m4v", ".mxf", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg",
    ".r3d", ".braw", ".dv", ".flv", ".wmv", ".3gp", ".ogv",
    ".wav", ".aif", ".aiff", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".bwf",
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".dpx", ".exr",
})
