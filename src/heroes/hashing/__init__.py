"""Hashing of files (exact and perceptual), hash lists, and near-duplicate lookup."""

from heroes.evidence import FileHashes, Malformed
from heroes.hashing.base import Content, Hasher, HashSession
from heroes.hashing.crypto import MD5, SHA1, SHA256, CryptoHasher
from heroes.hashing.index import hamming, pack_hex
from heroes.hashing.lists import normalise_hash, read_hash_list, write_csv
from heroes.hashing.matcher import Matcher
from heroes.hashing.mih import PdqMultiIndex
from heroes.hashing.pdq import DIHEDRAL_NAMES, PDQ, PdqHasher, hash_image, hex_from_bits
from heroes.hashing.reader import detect_mime, hash_file, open_readonly
from heroes.hashing.video import (
    VPDQ,
    VideoFrameHash,
    VpdqHasher,
    dumps_vpdq,
    hash_video,
    loads_vpdq,
    vpdq_match,
)

__all__ = [
    "DIHEDRAL_NAMES",
    "MD5",
    "PDQ",
    "SHA1",
    "SHA256",
    "VPDQ",
    "Content",
    "CryptoHasher",
    "FileHashes",
    "HashSession",
    "Hasher",
    "Malformed",
    "Matcher",
    "PdqHasher",
    "PdqMultiIndex",
    "VideoFrameHash",
    "VpdqHasher",
    "detect_mime",
    "dumps_vpdq",
    "hamming",
    "hash_file",
    "hash_image",
    "hash_video",
    "hex_from_bits",
    "loads_vpdq",
    "normalise_hash",
    "open_readonly",
    "pack_hex",
    "read_hash_list",
    "vpdq_match",
    "write_csv",
]
