#!/usr/bin/env python3
# Host side: dom0's view, as JSON, listed the guest with what its daemon
# published (only with the testbed's --debs, which installs selfballoon-dom0).
import json
import os
import sys

if not os.path.exists('dom0-view.json'):
    print('no dom0-view.json: run without --debs, nothing to check')
    sys.exit(0)
with open('dom0-view.json', encoding='utf-8') as f:
    doc = json.load(f)
with open('domU.cfg') as f:
    cfg = dict(l.split(' = ', 1) for l in f.read().splitlines() if ' = ' in l)
name = cfg['name'].strip('"')
maxmem_kb = int(cfg['maxmem']) * 1024
memory_kb = int(cfg['memory']) * 1024
rows = [g for g in doc['guests'] if g['name'] == name]
print(open('dom0-view.txt').read(), end='')
if len(rows) != 1:
    sys.exit(f'{name} is listed {len(rows)} times in dom0-view.json')
g = rows[0]
print(json.dumps(g))
fail = []
if doc['exit_status'] != 0:
    fail.append(f"exit_status {doc['exit_status']}")
if not (g['daemon'] and g['health'] == 'ok' and g['status'] == 'running'):
    fail.append(f"daemon/health/status {g['daemon']} {g['health']} {g['status']}")
if g['backend'] not in ('sysfs', 'xenstore'):
    fail.append(f"backend {g['backend']}")
if g['static_max_kb'] != maxmem_kb:
    fail.append(f"static_max_kb {g['static_max_kb']}, maxmem {maxmem_kb}")
if g['xs_target_kb'] is None or g['xs_target_kb'] > maxmem_kb:
    fail.append(f"xs_target_kb {g['xs_target_kb']}")
# taken while ballooned down (guest.sh asked after the balloon went below 3/4)
if g['target_kb'] is None or not 0 < g['target_kb'] < memory_kb * 3 // 4:
    fail.append(f"target_kb {g['target_kb']}, memory {memory_kb}")
if not g['floor_kb'] or not g['goal_kb']:
    fail.append(f"floor/goal {g['floor_kb']} {g['goal_kb']}")
# The daemon publishes a heartbeat (its wall clock, once a minute) and its
# policy: both must be there, the heartbeat recent by dom0's clock.
if g['heartbeat'] is None or not 0 <= g['heartbeat_age_s'] <= 180:
    fail.append(f"heartbeat {g['heartbeat']}, age {g.get('heartbeat_age_s')}")
if g.get('policy') not in ('seed', 'adaptive'):
    fail.append(f"policy {g.get('policy')}")
if g['problems']:
    fail.append(f"problems {g['problems']}")
if fail:
    sys.exit('dom0 view: ' + '; '.join(fail))
print('dom0 view lists the guest as expected')
