#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""img_inline_ref.py - test images and the data URLs the reference's
--custom-ensure-client-side-data sends for them (datasets.py process_image:
vLLM fetch_image -> convert_image_mode(image, "RGB") -> encode_image_url =
Pillow PNG, base64). vLLM is not installed here: its two steps are modelled
on Pillow as vLLM writes them (RGBA composited on white with paste(mask=A),
every other mode through Image.convert).
usage: img_inline_ref.py DIR   (writes DIR/*.png|jpg and prints one JSON line
{"name", "url"} per image)"""
import base64, io, json, os, sys

import numpy as np
from PIL import Image

d = sys.argv[1]
rng = np.random.default_rng(7)


def grad(h, w, c):
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 7 + y * 3 + k * 50) % 256 for k in range(c)], axis=-1)
    return a.astype(np.uint8)


imgs = {
    'rgb.png': Image.fromarray(grad(37, 53, 3), 'RGB'),
    'noise.png': Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8), 'RGB'),
    'wide.png': Image.fromarray(rng.integers(0, 256, (2, 20000, 3), dtype=np.uint8), 'RGB'),
    'rgba.png': Image.fromarray(np.concatenate([grad(20, 30, 3), rng.integers(0, 256, (20, 30, 1), dtype=np.uint8)], -1), 'RGBA'),
    'gray.png': Image.fromarray(grad(16, 24, 1)[..., 0], 'L'),
    'la.png': Image.fromarray(grad(10, 12, 2), 'LA'),
    'pal.png': Image.fromarray(grad(30, 40, 3), 'RGB').convert('P', palette=Image.ADAPTIVE, colors=12),
    'rgb.jpg': Image.fromarray(grad(33, 47, 3), 'RGB'),
    'gray.jpg': Image.fromarray(grad(21, 19, 1)[..., 0], 'L'),
}
for name, im in imgs.items():
    kw = {}
    if name == 'rgb.png':
        kw['icc_profile'] = b'not really a profile, but Pillow keeps any bytes' * 3
    if name == 'pal.png':
        kw['transparency'] = 3
    if name.endswith('.jpg'):
        kw['quality'] = 90
    im.save(os.path.join(d, name), **kw)


def convert_image_mode(image, to_mode):
    if image.mode == to_mode:
        return image
    if image.mode == 'RGBA' and to_mode == 'RGB':
        converted = Image.new('RGB', image.size, (255, 255, 255))
        converted.paste(image, mask=image.split()[3])
        return converted
    return image.convert(to_mode)


for name in imgs:
    image = Image.open(os.path.join(d, name))
    image.load()
    image = convert_image_mode(image, 'RGB')
    buf = io.BytesIO()
    convert_image_mode(image, 'RGB').save(buf, 'PNG')
    url = 'data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode()
    print(json.dumps({'name': name, 'url': url}))
