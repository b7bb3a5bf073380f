"""The face detector gives each thread the answer for its own image."""

from __future__ import annotations

from marketplace.avatar_art import draw_portrait
from modelsnapper import faces
from modelsnapper.testing import race


def test_threads_finding_faces_at_once_each_get_their_own_images_faces():
    images = [draw_portrait(index) for index in range(5)]
    alone = [faces.find_faces(image) for image in images]
    assert all(len(found) == 1 for found in alone)

    # Threads of one process (a threaded server, a threaded worker) detect at the same time.
    results = race(8, lambda index: [faces.find_faces(images[index % 5]) for _ in range(6)])

    for index, found in enumerate(results):
        assert not isinstance(found, Exception), found
        assert found == [alone[index % 5]] * 6
