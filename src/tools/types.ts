// The shared vocabulary of tool calling: tool definitions (OpenAI/Qwen style) and decoded calls.

/** A JSON Schema object as tools use it (kept loose: ajv validates the real thing). */
export type JsonSchema = { [key: string]: unknown };

/** OpenAI / Qwen / TRL tool definition: `{"type":"function","function":{name, description, parameters}}`. */
export interface ToolDefinition {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** JSON Schema of the arguments object. */
    parameters: JsonSchema;
  };
}

/** One decoded call: a tool name and its arguments object (values already parsed from JSON). */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}
