// Failure causes on hand-made records, each built to fail one way (the cause is worked out in the comment).
import { describe, expect, it } from 'vitest';
import { failureCauses } from '../../../src/eval/failure-causes.ts';
import { scoreRecords, type EvalRecord } from '../../../src/eval/metrics.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const qw = (city: string, date: string) => ({ name: 'queryWeather', arguments: { city, date } });
const hermes = (calls: { name: string; arguments: object }[]) => calls.map((c) => `<tool_call>\n${JSON.stringify(c)}\n</tool_call>`).join('\n');
const training = 'Beijing Shanghai 2025-06-03 2025-06-04 E1001';
const seen = (text: string) => training.includes(text);

const records: EvalRecord[] = [
  // correct: not counted as failed
  { id: 'ok', expected: [[qw('Beijing', '2025-06-03')]], predicted: hermes([qw('Beijing', '2025-06-03')]) },
  // format: unclosed tag
  { id: 'format', expected: [[qw('Beijing', '2025-06-03')]], predicted: '<tool_call>{"name": "queryWeather"' },
  // spurious-call: no tool was due
  { id: 'spurious', expected: [[]], predicted: hermes([qw('Beijing', '2025-06-03')]) },
  // missed-call: plain text where a call was due
  { id: 'missed', expected: [[qw('Beijing', '2025-06-03')]], predicted: 'It is sunny.' },
  // wrong-tool: a different tool, even with a plausible argument
  { id: 'tool', expected: [[{ name: 'getLeaveBalance', arguments: { employeeId: 'E1001' } }]], predicted: hermes([{ name: 'getEmployeeInfo', arguments: { employeeId: 'E1001' } }]) },
  // unseen-value: right tool, the missed city is one `seen` rejects (here: not in the training text)
  { id: 'unseen', expected: [[qw('Nanjing', '2025-06-03')]], predicted: hermes([qw('Shanghai', '2025-06-03')]) },
  // wrong-argument: right tool, the missed date does occur in training
  { id: 'arg', expected: [[qw('Beijing', '2025-06-04')]], predicted: hermes([qw('Beijing', '2025-06-03')]) },
  // two calls in the other order, the unseen city right: correct, not a failure
  { id: 'pair', expected: [[qw('Nanjing', '2025-06-03'), qw('Beijing', '2025-06-03')]], predicted: hermes([qw('Beijing', '2025-06-03'), qw('Nanjing', '2025-06-03')]) },
  // two calls, one wrong in a seen value: the unseen one is right, so wrong-argument
  { id: 'pair-arg', expected: [[qw('Nanjing', '2025-06-03'), qw('Beijing', '2025-06-03')]], predicted: hermes([qw('Nanjing', '2025-06-03'), qw('Beijing', '2025-06-04')]) },
  // wrong-argument: the unseen city is right by the scorer's rule (case-insensitive), the seen date is wrong
  { id: 'normalised', expected: [[qw('Nanjing', '2025-06-04')]], predicted: hermes([qw('nanjing', '2025-06-03')]) },
];

describe('failureCauses', () => {
  it('gives each failed step exactly one cause, in the documented order', () => {
    const report = scoreRecords(records, { tools: ENTERPRISE_TOOLS });
    const r = failureCauses(report.records, seen);
    expect(r.steps).toBe(10);
    expect(r.failed).toBe(8);
    expect(r.causes).toEqual({ format: 1, 'spurious-call': 1, 'missed-call': 1, 'wrong-tool': 1, 'unseen-value': 1, 'wrong-argument': 3 });
  });
});
