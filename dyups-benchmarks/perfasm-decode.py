#!/usr/bin/env python3
# Disassembles the compiled code that JMH's -prof perfasm prints as raw bytes when the JVM has no working hsdis
# (Debian's fcml-based libhsdis0-fcml does not load in JDK 17), with objdump, one instruction a line, beside the
# innermost Java frame C2 noted for it and the percent of samples perfasm put on that address (perfasm can only put
# samples on the addresses it printed, so most instructions show none: read the code, not the percents).
#
# Usage: dyups-benchmarks/perfasm-decode.py PERFASM_OUTPUT [REGION]   (REGION: the hottest region's number, 1 by default)
import re
import subprocess
import sys
import tempfile

text = open(sys.argv[1]).read().split('\n')
region = int(sys.argv[2]) if len(sys.argv) > 2 else 1
start = next(i for i, l in enumerate(text) if l.startswith('....[Hottest Region %d]' % region))
end = next(i for i in range(start + 1, len(text)) if text[i].startswith('....'))
line_re = re.compile(r'^\s*([0-9.]+%)?\s*(0x[0-9a-f]+): (.*)$')
code, percent, notes, pending = {}, {}, {}, []
for line in text[start:end]:
    m = line_re.match(line)
    if m:
        address, rest = int(m.group(2), 16), m.group(3)
        if rest.startswith(';'):
            pending = [rest]
            continue
        words = rest.replace('|', ' ').split()
        if words and all(re.fullmatch(r'[0-9a-f]{2,4}', w) for w in words):
            code[address] = bytes.fromhex(''.join(words))
            if m.group(1):
                percent[address] = float(m.group(1)[:-1])
            if pending:
                notes[address] = pending
                pending = []
    elif line.strip().startswith('; - ') and pending:
        pending.append(line.strip())
chunks = []
for address in sorted(code):
    if chunks and chunks[-1][0] + len(chunks[-1][1]) == address:
        chunks[-1][1] += code[address]
    else:
        chunks.append([address, bytearray(code[address])])
for base, blob in chunks:
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(blob)
        f.flush()
        listing = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '--adjust-vma=%d' % base,
                                  f.name], capture_output=True, text=True, check=True).stdout
    for line in listing.split('\n'):
        m = re.match(r'^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$', line)
        if not m:
            continue
        address, size, instruction = int(m.group(1), 16), len(m.group(2).split()), m.group(3)
        share = sum(v for k, v in percent.items() if address <= k < address + size)
        note = next((v for k, v in notes.items() if address <= k < address + size), [])
        what = note[0].split('{')[0].strip('; ') if note else ''
        frame = next((x[4:].split(' (')[0] for x in note if x.startswith('; - ')), '')
        print('%6s  %x  %-48s %s %s' % ('%.2f' % share if share else '', address, instruction[:48], what, frame))
