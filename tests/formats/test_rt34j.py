"""Red team 34j (/work/redteam-34j): routes around fix33e.

- 34j-1/2: a chat-template attribute path (make_attrgetter, ``|attr``, ``str.format``) whose value
  the judge cannot know — a macro or ``caller`` parameter, ``varargs``/``kwargs``, a tuple target,
  ``loop.cycle(…)`` — or a ``{% set %}…{% endset %}`` body naming a dunder; the callee named first
  (``set f = grp[0]; f()``, ``grp.grouper(…)``) to dodge ``template.odd-call``;
- 34j-3: MLmodel ``transformers.local_base_model_path`` naming a Hub repo.
Every input is built here; the real renderer runs only in a throw-away subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlbom.formats.jinja_ast import check_template
from mlbom.scanner import scan_bytes


def _effects(template: str) -> tuple[str, list[str]]:
    found = check_template(template, where="t")
    order = ("unsafe", "error", "suspicious")
    worst = next((e for e in order if any(f.effect == e for f in found)), "safe")
    return worst, [f"{f.id}: {f.message}" for f in found]


def _ids(template: str) -> set[str]:
    return {f.id for f in check_template(template, where="t")}


_PATH = "{% set p %}__init__.__globals__.os.system{% endset %}"
_PIECES = "{% set d = {'a': '_'} %}"
_BUILT = "[d.a, d.a, 'init', d.a, d.a, '.', d.a, d.a, 'globals', d.a, d.a, '.os.system']|join"

# the red team's route table (34j-1/variants.py): each reaches os.system (or internals) in a plain Environment
_ROUTES = {
    "macro param + dict pieces": _PIECES + "{% macro g(q) %}{% for grp in [namespace]|groupby(q) %}"
    "{% set f = grp.grouper %}{{ f('x') }}{% endfor %}{% endmacro %}{{ g(" + _BUILT + ") }}",
    "macro param + set block": _PATH + "{% macro g(q) %}{% for grp in [namespace]|groupby(q) %}"
    "{{ grp.grouper('x') }}{% endfor %}{% endmacro %}{{ g(p) }}",
    "macro param with a harmless default": _PATH + "{% macro g(q='role') %}{% for grp in [namespace]|groupby(q) %}"
    "{{ grp[0]('x') }}{% endfor %}{% endmacro %}{{ g(p) }}",
    "caller arg": _PATH + "{% macro g() %}{{ caller(p) }}{% endmacro %}{% call(q) g() %}"
    "{% for grp in [namespace]|groupby(q) %}{% set f = grp.grouper %}{{ f('x') }}{% endfor %}{% endcall %}",
    "map(attribute=) via macro": _PATH + "{% macro g(q) %}{{ [namespace]|map(attribute=q)|list }}{% endmacro %}"
    "{{ g(p) }}",
    "selectattr via macro": _PATH + "{% macro g(q) %}{{ [namespace]|selectattr(q)|list }}{% endmacro %}{{ g(p) }}",
    "map('attr') via macro": _PATH + "{% macro g(q) %}{{ [namespace]|map('attr', q)|list }}{% endmacro %}{{ g(p) }}",
    "format via macro": "{% set p %}{0.__init__.__globals__[os]}{% endset %}{% macro m(s) %}"
    "{{ s.format(namespace) }}{% endmacro %}{{ m(p) }}",
    "attr via macro": "{% set p %}__class__{% endset %}{% macro m(s) %}{{ namespace|attr(s) }}{% endmacro %}{{ m(p) }}",
    "kwargs macro": _PATH + "{% macro g() %}{% for grp in [namespace]|groupby(kwargs.q) %}{% set f = grp.grouper %}"
    "{{ f('x') }}{% endfor %}{% endmacro %}{{ g(q=p) }}",
    "varargs macro": _PATH + "{% macro g() %}{% for grp in [namespace]|groupby(varargs[0]) %}"
    "{% set f = grp.grouper %}{{ f('x') }}{% endfor %}{% endmacro %}{{ g(p) }}",
    "for tuple target": _PIECES + "{% for k, q in {'k': " + _BUILT + "}|items %}"
    "{% for grp in [namespace]|groupby(q) %}{{ grp.grouper('x') }}{% endfor %}{% endfor %}",
    "tuple target shadowing a constant": "{% set q = 'role' %}" + _PIECES + "{% for k, q in {'k': " + _BUILT
    + "}|items %}{% for grp in [namespace]|groupby(q) %}{{ grp[0]('x') }}{% endfor %}{% endfor %}",
    "loop.cycle": _PATH + "{% for i in [1] %}{% for grp in [namespace]|groupby(loop.cycle(p)) %}"
    "{% set f = grp.grouper %}{{ f('x') }}{% endfor %}{% endfor %}",
    "set from a dict item": _PIECES + "{% set q = {'k': " + _BUILT + "}.k %}"
    "{% for grp in [namespace]|groupby(q) %}{{ grp[0]('x') }}{% endfor %}",
    "for over a template-built list": _PIECES + "{% for q in [" + _BUILT + "] %}"
    "{% for grp in [namespace]|groupby(q) %}{{ grp[0]('x') }}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("route", sorted(_ROUTES))
def test_34j1_attribute_path_of_unknown_value_is_not_safe(route: str) -> None:
    worst, msgs = _effects(_ROUTES[route])
    assert worst in ("suspicious", "unsafe"), (route, msgs)
    assert any(m.startswith(("template.computed-name", "template.computed-format", "template.dunder-access"))
               for m in msgs), (route, msgs)


def test_34j1_red_team_template_is_flagged() -> None:
    src = (_PATH + "{% macro g(q) %}{% for grp in [namespace]|groupby(q) %}{% set f = grp.grouper %}"
           "{{ f('touch ' ~ marker) }}{% endfor %}{% endmacro %}{{ g(p) }}")
    ids = _ids(src)
    assert {"template.computed-name", "template.dunder-string", "template.odd-call"} <= ids, ids
    # the same through tokenizer_config.json (the scanner's route)
    import json

    r = scan_bytes(json.dumps({"chat_template": src}).encode(), "tokenizer_config.json")
    assert r.verdict in ("suspicious", "unsafe"), [f.id for f in r.findings]


def test_34j1_folded_dunder_through_set_block_or_namespace_stays_unsafe() -> None:
    for use in ("p", "ns.q"):
        src = (_PATH + "{% set ns = namespace(q=p) %}{% for g in [namespace]|groupby(" + use + ") %}"
               "{{ g[0]('x') }}{% endfor %}")
        worst, msgs = _effects(src)
        assert worst == "unsafe" and any(m.startswith("template.dunder-access") for m in msgs), (use, msgs)


def test_34j1_set_block_body_naming_a_dunder() -> None:
    worst, msgs = _effects(_PATH + "{{ p }}")
    assert worst == "suspicious" and any(m.startswith("template.dunder-string") for m in msgs), msgs
    # a body with an unfoldable piece: its literal text still names one
    worst, msgs = _effects("{% set p %}{{ x }}.__globals__{% endset %}{{ p }}")
    assert any(m.startswith("template.dunder-string") for m in msgs), msgs


@pytest.mark.parametrize("call", ["grp[0]('x')", "grp.grouper('x')", "{% set f = grp[0] %}{{ f('x') }}",
                                  "{% set f = grp.grouper %}{{ f('x') }}"])
def test_34j1_callee_spellings_get_one_verdict(call: str) -> None:
    body = call if call.startswith("{%") else "{{ " + call + " }}"
    src = "{% for grp in messages|groupby('role') %}" + body + "{% endfor %}"
    worst, msgs = _effects(src)
    assert worst == "suspicious" and any(m.startswith("template.odd-call") for m in msgs), (call, msgs)


def test_34j1_macro_calls_stay_clean() -> None:
    src = ("{% macro render(m) %}{{ m.role }}: {{ m.content }}{% endmacro %}"
           "{% for m in messages %}{{ render(m) }}{% endfor %}")
    assert _effects(src) == ("safe", [])


@pytest.mark.parametrize("expr", [
    # (``for key in keys``: ``keys`` is no name the application passes; it may be a model-supplied
    # token variable, so it is no longer context data: red team 35j-1, tests/formats/test_rt35j.py)
    "{% for key in tools %}{{ messages|map(attribute=key.name)|join(',') }}{% endfor %}",
    "{% for m in messages %}{% for tc in m.tool_calls %}{{ tools|selectattr(tc.name)|list }}{% endfor %}{% endfor %}",
    "{% for m in messages %}{{ m.content.format(x=1) }}{% endfor %}",
    "{% for m in messages|selectattr('role', 'equalto', 'user') %}{{ messages|groupby(m.key) }}{% endfor %}",
])
def test_34j1_loop_variables_over_context_stay_clean(expr: str) -> None:
    assert _effects(expr) == ("safe", [])


def test_34j2_red_team_proof_runs_code_in_a_plain_environment(tmp_path: Path) -> None:
    """The tuple-target route really reaches os.system in a plain jinja2 Environment (the loader's
    semantics, in a throw-away subprocess), and the judge flags it."""
    pytest.importorskip("jinja2")
    marker = tmp_path / "MARK"
    src = _ROUTES["for tuple target"].replace("'x'", f"'touch {marker}'")
    code = ("import sys, jinja2; jinja2.Environment().from_string(sys.stdin.read()).render()")
    subprocess.run([sys.executable, "-c", code], input=src, text=True, timeout=60, check=False,
                   capture_output=True)
    assert marker.exists()
    assert _effects(src)[0] != "safe"


# ---- no false positives: real-shaped chat templates (written from the published ones) ---------------------------

_LLAMA31_TOOLS = """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- if not tools is defined %}{%- set tools = none %}{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}
{%- if builtin_tools is defined %}
    {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON." }}
    {%- for t in tools %}{{- t | tojson(indent=4) }}{{- "\\n\\n" }}{%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- if tools_in_user_message and not tools is none %}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
    {%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}
    {%- for t in tools %}{{- t | tojson(indent=4) }}{{- "\\n\\n" }}{%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
            {{- "<|python_tag|>" + tool_call.name + ".call(" }}
            {%- for arg_name, arg_val in tool_call.arguments | items %}
                {{- arg_name + '="' + arg_val + '"' }}
                {%- if not loop.last %}{{- ", " }}{%- endif %}
            {%- endfor %}
            {{- ")" }}
        {%- else %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
            {{- '{"name": "' + tool_call.name + '", ' }}
            {{- '"parameters": ' }}
            {{- tool_call.arguments | tojson }}
            {{- "}" }}
        {%- endif %}
        {%- if builtin_tools is defined %}{{- "<|eom_id|>" }}{%- else %}{{- "<|eot_id|>" }}{%- endif %}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}
"""

_QWEN25 = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within\
 <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\":\
 <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant"\
 and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

_MISTRAL_TOOLS = """{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}{%- set tools = none %}{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- for message in loop_messages | rejectattr("role", "equalto", "tool") | rejectattr("role", "equalto",\
 "tool_results") | selectattr("tool_calls", "undefined") %}
    {%- if (message["role"] == "user") != (loop.index0 % 2 == 0) %}
        {{- raise_exception("After the optional system message, conversation roles must alternate\
 user/assistant/user/assistant/...") }}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}{{- ", " }}{%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" }}{%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
            {%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" + eos_token }}{%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
        {%- if message.content is defined and message.content.content is defined %}
            {%- set content = message.content.content %}
        {%- else %}
            {%- set content = message.content %}
        {%- endif %}
        {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
        {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system\
 message!") }}
    {%- endif %}
{%- endfor %}
"""

_GEMMA = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\\n'}}
{%- endif -%}
"""

_DEEPSEEK_R1 = """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}
{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}
{%- for message in messages %}
    {%- if message['role'] == 'system' %}
        {%- if ns.is_first_sp %}
            {% set ns.system_prompt = ns.system_prompt + message['content'] %}
            {% set ns.is_first_sp = false %}
        {%- else %}
            {% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{{ bos_token }}{{ ns.system_prompt }}
{%- for message in messages %}
    {%- if message['role'] == 'user' %}
        {%- set ns.is_tool = false -%}{{'<\uff5cUser\uff5c>' + message['content']}}
    {%- endif %}
    {%- if message['role'] == 'assistant' and 'tool_calls' in message %}
        {%- set ns.is_tool = false -%}
        {%- for tool in message['tool_calls'] %}
            {%- if not ns.is_first %}
                {{'<\uff5cAssistant\uff5c><\uff5ctool\u2581calls\u2581begin\uff5c><\uff5ctool\u2581call\u2581begin\uff5c>' +\
 tool['type'] + '<\uff5ctool\u2581sep\uff5c>' + tool['function']['name'] + '\\n' + '```json' + '\\n' +\
 tool['function']['arguments'] + '\\n' + '```' + '<\uff5ctool\u2581call\u2581end\uff5c>'}}
                {%- set ns.is_first = true -%}
            {%- else %}
                {{'\\n' + '<\uff5ctool\u2581call\u2581begin\uff5c>' + tool['type'] + '<\uff5ctool\u2581sep\uff5c>' +\
 tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' +\
 '<\uff5ctool\u2581call\u2581end\uff5c>'}}
            {%- endif %}
        {%- endfor %}
        {{'<\uff5ctool\u2581calls\u2581end\uff5c><\uff5cend\u2581of\u2581sentence\uff5c>'}}
    {%- endif %}
    {%- if message['role'] == 'assistant' and 'tool_calls' not in message %}
        {%- if ns.is_tool %}
            {{'<\uff5ctool\u2581outputs\u2581end\uff5c>' + message['content'] + '<\uff5cend\u2581of\u2581sentence\uff5c>'}}
            {%- set ns.is_tool = false -%}
        {%- else %}
            {% set content = message['content'] %}
            {% if '</think>' in content %}
                {% set content = content.split('</think>')[-1] %}
            {% endif %}
            {{'<\uff5cAssistant\uff5c>' + content + '<\uff5cend\u2581of\u2581sentence\uff5c>'}}
        {%- endif %}
    {%- endif %}
    {%- if message['role'] == 'tool' %}
        {%- set ns.is_tool = true -%}
        {%- if ns.is_output_first %}
            {{'<\uff5ctool\u2581outputs\u2581begin\uff5c><\uff5ctool\u2581output\u2581begin\uff5c>' +\
 message['content'] + '<\uff5ctool\u2581output\u2581end\uff5c>'}}
            {%- set ns.is_output_first = false %}
        {%- else %}
            {{'<\uff5ctool\u2581output\u2581begin\uff5c>' + message['content'] + '<\uff5ctool\u2581output\u2581end\uff5c>'}}
        {%- endif %}
    {%- endif %}
{%- endfor -%}
{% if ns.is_tool %}{{'<\uff5ctool\u2581outputs\u2581end\uff5c>'}}{% endif %}
{% if add_generation_prompt and not ns.is_tool %}{{'<\uff5cAssistant\uff5c><think>\\n'}}{% endif %}
"""

# a tool-schema renderer in the style of Hermes/Qwen3 templates: macros, map(attribute=), groupby,
# loop variables over context data as paths, |items tuple targets used as data, not as paths
_MACRO_TOOLS = """{%- macro render_params(props, required) -%}
{%- for name, spec in props|items -%}
{{ name }}: {{ spec.type|default('any') }}{% if name in required %} (required){% endif %}
{{ spec.description|default('') }}
{%- endfor -%}
{%- endmacro -%}
{%- set ns = namespace(sys='') -%}
{%- for m in messages if m.role == 'system' -%}{%- set ns.sys = ns.sys + m.content -%}{%- endfor -%}
{{ ns.sys }}
{%- if tools -%}
Tools: {{ tools|map(attribute='function')|map(attribute='name')|join(', ') }}
{%- for tool in tools|sort(attribute='function.name') -%}
{{ tool.function.name }}({{ render_params(tool.function.parameters.properties|default({}),\
 tool.function.parameters.required|default([])) }})
{%- endfor -%}
{%- endif -%}
{%- for role, group in messages|groupby('role') -%}{{ role }}={{ group|length }};{%- endfor -%}
{%- for message in messages|rejectattr('role', 'equalto', 'system') -%}
<|{{ message.role }}|>{{ message.content|trim }}{{ '{}:{}'.format(loop.index, message.role) }}
{%- endfor -%}
{%- if add_generation_prompt %}<|assistant|>{% endif -%}
"""

_CONTROLS = {"llama-3.1-tool-use": _LLAMA31_TOOLS, "qwen2.5": _QWEN25, "mistral-tool-calls": _MISTRAL_TOOLS,
             "gemma-3": _GEMMA, "deepseek-r1": _DEEPSEEK_R1, "macro-tool-schema": _MACRO_TOOLS}


@pytest.mark.parametrize("name", sorted(_CONTROLS))
def test_34j_real_shaped_templates_have_no_findings(name: str) -> None:
    assert _effects(_CONTROLS[name]) == ("safe", []), name


def test_34j_fixture_templates_have_no_findings() -> None:
    root = Path(__file__).resolve().parents[1] / "fixtures" / "chat_templates"
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".jinja", ".txt", ""))
    assert files
    for p in files:
        assert _effects(p.read_text(encoding="utf-8")) == ("safe", []), p.name


# ---- 34j-3: MLmodel local_base_model_path ------------------------------------------------------------------------

_PEFT = """flavors:
  python_function: {{loader_module: mlflow.transformers, python_version: 3.11.7}}
  transformers:
    task: text-classification
    instance_type: TextClassificationPipeline
    pipeline_model_type: EvilForSequenceClassification
    local_base_model_path: {base}
    framework: pt
    components: []
    transformers_version: 5.24.0
"""


def _mlmodel(text: str) -> tuple[str, list[str]]:
    r = scan_bytes(text.encode(), "MLmodel")
    return r.verdict, [f"{f.id}: {f.message}" for f in r.findings]


@pytest.mark.parametrize("base", ["attacker/evil-model", "gpt2", "base"])
def test_34j3_local_base_model_path_hub_id_is_code_remote(base: str) -> None:
    verdict, msgs = _mlmodel(_PEFT.format(base=base))
    assert verdict == "suspicious", msgs
    hit = [m for m in msgs if m.startswith("code.remote") and base in m]
    assert hit and "trust_remote_code=True" in hit[0] and "EvilForSequenceClassification" in hit[0], msgs


def test_34j3_absolute_local_base_model_path_is_outside() -> None:
    verdict, msgs = _mlmodel(_PEFT.format(base="/srv/models/llama"))
    assert verdict == "suspicious" and any(m.startswith("mlmodel.path-outside") for m in msgs), msgs


def test_34j3_empty_local_base_model_path_is_not_read() -> None:
    _, msgs = _mlmodel(_PEFT.format(base="''") + "    model_binary: model\n")
    assert not any(m.startswith("code.remote") for m in msgs), msgs


@pytest.mark.parametrize("expr", [
    "{% set messages = messages[1:] %}{% for m in messages %}{{ tools|groupby(m.key) }}{% endfor %}",
    "{% set loop_messages = messages|selectattr('role', 'equalto', 'user')|list %}"
    "{% for m in loop_messages %}{{ tools|map(attribute=m.key)|list }}{% endfor %}",
])
def test_34j1_sets_of_context_data_stay_clean(expr: str) -> None:
    assert _effects(expr) == ("safe", [])


@pytest.mark.parametrize("expr", [
    _PATH + "{% for q in nothing|default([p]) %}{{ xs|groupby(q) }}{% endfor %}",
    _PATH + "{% for b in messages|batch(1, p) %}{% for q in b %}{{ xs|groupby(q) }}{% endfor %}{% endfor %}",
    _PATH + "{% set messages = [p] %}{% for q in messages %}{{ xs|groupby(q) }}{% endfor %}",
    _PATH + "{% for q in messages %}{{ xs|groupby(q) }}{% endfor %}{% macro m(q) %}{% endmacro %}",
])
def test_34j1_template_values_through_context_looking_loops(expr: str) -> None:
    worst, msgs = _effects(expr)
    assert worst != "safe" and any(m.startswith(("template.computed-name", "template.dunder-access")) for m in msgs), msgs
