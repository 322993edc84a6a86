"""Drive a real Jupyter kernel through a notebook with jupyter_client, as a front end does.

    python scripts/jupyter-drive.py NOTEBOOK [--kernel tslab] [--timeout SECONDS]

Starts the kernel (found through JUPYTER_PATH / JUPYTER_DATA_DIR, as scripts/jupyter-env.sh
sets them) in the notebook's folder, executes its code cells in order over the kernel's
ZeroMQ channels, and prints one JSON object: per cell the reply status, the outputs (type
and MIME types; the size of each image) and any error; the kernel's language info; the
seconds taken. Exits 1 if a cell failed or timed out. Used by test/jupyter.test.ts.
"""
import argparse
import base64
import json
import os
import sys
import time
from queue import Empty

from jupyter_client.manager import KernelManager


# The project's kernels (./.jupyter, where `npm run kernel` registers tslab), also when the
# caller did not source scripts/jupyter-env.sh.
_project_kernels = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '.jupyter', 'share', 'jupyter')
if _project_kernels not in os.environ.get('JUPYTER_PATH', '').split(os.pathsep):
    os.environ['JUPYTER_PATH'] = os.pathsep.join(p for p in [_project_kernels, os.environ.get('JUPYTER_PATH')] if p)


def run(path, kernel, timeout):
    nb = json.load(open(path, encoding='utf-8'))
    km = KernelManager(kernel_name=kernel)
    t0 = time.time()
    km.start_kernel(cwd=os.path.dirname(os.path.abspath(path)))
    kc = km.client()
    kc.start_channels()
    result = {'notebook': path, 'kernel': kernel, 'cells': [], 'ok': True}
    try:
        kc.wait_for_ready(timeout=120)
        info = kc.kernel_info(reply=True, timeout=60)['content']
        result['language_info'] = info.get('language_info', {})
        for index, cell in enumerate(nb['cells']):
            if cell['cell_type'] != 'code':
                continue
            source = ''.join(cell['source'])
            msg_id = kc.execute(source)
            outputs, error = [], None
            deadline = time.time() + timeout
            while True:
                try:
                    msg = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
                except Empty:
                    error = f'timed out after {timeout} s'
                    break
                if msg['parent_header'].get('msg_id') != msg_id:
                    continue
                kind, content = msg['msg_type'], msg['content']
                if kind == 'status' and content['execution_state'] == 'idle':
                    break
                if kind in ('display_data', 'execute_result', 'update_display_data'):
                    data = content.get('data', {})
                    out = {'type': kind, 'mimes': sorted(data)}
                    if 'image/png' in data:
                        png = base64.b64decode(data['image/png'])
                        out['png_bytes'] = len(png)
                        out['png_magic_ok'] = png[:8] == b'\x89PNG\r\n\x1a\n'
                        out['png_metadata'] = content.get('metadata', {}).get('image/png')
                    if 'image/svg+xml' in data:
                        out['svg_starts'] = data['image/svg+xml'][:5]
                    outputs.append(out)
                elif kind == 'stream':
                    outputs.append({'type': 'stream', 'name': content['name'], 'text': content['text'][-3000:]})
                elif kind == 'error':
                    error = f"{content['ename']}: {content['evalue']}"
                    outputs.append({'type': 'error', 'ename': content['ename'], 'evalue': content['evalue']})
            status = None
            if error is None:
                reply = kc.get_shell_msg(timeout=60)
                while reply['parent_header'].get('msg_id') != msg_id:
                    reply = kc.get_shell_msg(timeout=60)
                status = reply['content']['status']
                if status != 'ok' and error is None:
                    error = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            result['cells'].append({'index': index, 'status': status, 'error': error, 'outputs': outputs})
            if error is not None:
                result['ok'] = False
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    result['seconds'] = round(time.time() - t0, 1)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebook')
    ap.add_argument('--kernel', default='tslab')
    ap.add_argument('--timeout', type=float, default=600)
    a = ap.parse_args()
    r = run(a.notebook, a.kernel, a.timeout)
    print(json.dumps(r, indent=1))
    sys.exit(0 if r['ok'] else 1)


if __name__ == '__main__':
    main()
