// The compact tool-prompt chat template of the built-in tiny model (public/models/tiny).
//
// Real Qwen models keep their own template (hundreds of tokens of tool preamble and JSON schemas). A tiny
// model trained on the CPU needs short sequences, so its template keeps Qwen's ChatML structure and call
// format but lists each tool as one signature line:
//
//   <|im_start|>system
//   {system prompt}
//   # Tools
//   get_weather(city, unit?)          <- "?" marks an optional argument
//   <|im_end|>
//   <|im_start|>user
//   ...<|im_end|>
//   <|im_start|>assistant
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call><|im_end|>
//   <|im_start|>user
//   <tool_response>
//   {...}
//   </tool_response><|im_end|>
//
// Calls, tool results and turn markers are exactly Qwen's, so call parsing, loss masks and stop tokens work
// unchanged; there is no <think> block.

export const COMPACT_CHAT_TEMPLATE = [
  "{%- if tools or (messages and messages[0].role == 'system') %}",
  "{{- '<|im_start|>system\\n' }}",
  "{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n' }}{%- endif %}",
  '{%- if tools %}',
  "{{- '# Tools' }}",
  '{%- for tool in tools %}',
  '{%- if tool.function is defined %}{%- set fn = tool.function %}{%- else %}{%- set fn = tool %}{%- endif %}',
  "{{- '\\n' + fn.name + '(' }}",
  '{%- if fn.parameters is defined and fn.parameters.properties is defined %}',
  '{%- for pname, pspec in fn.parameters.properties | items %}',
  "{%- if not loop.first %}{{- ', ' }}{%- endif %}",
  '{{- pname }}',
  "{%- if not (fn.parameters.required is defined and pname in fn.parameters.required) %}{{- '?' }}{%- endif %}",
  '{%- endfor %}',
  '{%- endif %}',
  "{{- ')' }}",
  '{%- endfor %}',
  "{{- '\\n' }}",
  '{%- endif %}',
  "{{- '<|im_end|>\\n' }}",
  '{%- endif %}',
  '{%- for message in messages %}',
  "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}",
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}",
  "{%- elif message.role == 'assistant' %}",
  "{{- '<|im_start|>assistant\\n' + message.content }}",
  '{%- if message.tool_calls %}',
  '{%- for tool_call in message.tool_calls %}',
  "{%- if (loop.first and message.content) or (not loop.first) %}{{- '\\n' }}{%- endif %}",
  '{%- if tool_call.function %}{%- set tool_call = tool_call.function %}{%- endif %}',
  '{{- \'<tool_call>\\n{"name": "\' + tool_call.name + \'", "arguments": \' }}',
  '{%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}',
  "{{- '}\\n</tool_call>' }}",
  '{%- endfor %}',
  '{%- endif %}',
  "{{- '<|im_end|>\\n' }}",
  "{%- elif message.role == 'tool' %}",
  "{%- if loop.first or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}",
  "{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}",
  "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}",
  '{%- endif %}',
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('');
