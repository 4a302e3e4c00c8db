import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/*
 * The files a new workspace starts with beside agent.yaml and AGENTS.md: the identity files the
 * session-start context reads (each short, saying what belongs in it), and the two skills
 * connectors link into harnesses that read skills (Claude Code, Codex). Existing files are never
 * touched: once written they are the user's.
 */

/*
 * Every connected harness injects these at session start, so the text below the comment is written
 * to be read by the agent; the comment tells the user what the file is for.
 */
const IDENTITY_FILES: Record<string, string> = {
  'SOUL.md': `# Soul
<!-- How your agent thinks and talks: values, tone, working style. Injected into every session; keep it short. -->

- Be direct and concise; say what you changed and why.
- Ask before destructive actions (deleting data, force-pushing, dropping tables).
- When unsure about a project convention, check memory (\`signet recall\`) before guessing.
`,
  'IDENTITY.md': `# Identity
<!-- Who your agent is: its name and role. Replace with your own; \`agent.name\` in agent.yaml names it too. -->

A coding assistant with long-term memory through Signet: it recalls decisions, preferences and
project facts from earlier sessions in any connected harness, and saves new ones when asked.
`,
  'USER.md': `# About the user
<!-- What your agent should know about you: name, timezone, preferred languages and tools, how you like answers. -->

Nothing recorded yet. When the user states a lasting fact about themselves or how they like to
work, offer to save it (\`signet remember\`).
`,
  'MEMORY.md': `# Working memory
<!-- A short summary of what matters now: current projects, open threads, recent decisions. Edit it by hand, or let Signet's synthesis keep it current; individual memories live in the database. -->

No working memory yet.
`,
}

/** Claude Code and Codex read the same skill format: YAML frontmatter with name and description, then instructions. */
const SKILLS: Record<string, string> = {
  remember: `---
name: remember
description: Save a fact, decision or preference to Signet's long-term memory so every future session (in any connected harness) can recall it. Use when the user says "remember", "note that", "from now on", or states a lasting preference or project decision.
---

# Remember

Store one memory with the Signet CLI. Write it as a complete, self-contained sentence that will
make sense months from now without this conversation.

1. Rewrite what the user wants remembered as one clear statement (name the project, the tool,
   the value: "The staging database for acme-api listens on port 5433", not "it's 5433").
2. Run:

   \`\`\`bash
   signet remember "<the statement>" --tags <comma,separated,tags>
   \`\`\`

   Add \`--project "$(pwd)"\` when it only applies to the current project, and
   \`--importance 0.9\` (or \`--pinned\`) for something that must never be forgotten.
3. Tell the user in one line what was saved. If the command fails, show its error line: it says
   what to do (for example start the daemon with \`signet daemon start\`).

Never store secrets (passwords, API keys, tokens): Signet redacts the ones it recognises, but do
not rely on it.
`,
  recall: `---
name: recall
description: Search Signet's long-term memory for facts, decisions and preferences saved in earlier sessions. Use when the user asks "what did we decide", "do you remember", or before answering a question about this project's setup, conventions or history.
---

# Recall

Search memories with the Signet CLI and answer from what it returns.

1. Turn the question into a short search query (the key nouns: "staging database port",
   "deploy day", "package manager").
2. Run:

   \`\`\`bash
   signet recall "<query>" --limit 5
   \`\`\`

   Add \`--project "$(pwd)"\` to stay within the current project, or \`--json\` to read scores and
   dates exactly.
3. Answer from the results and say they came from memory (with their dates when it matters).
   If nothing matches, say so plainly; if the output mentions other agents, try \`--agent-id\`.
`,
}

/** Writes every starter file that is missing; returns the paths it created. */
export function writeStarterFiles(workspace: string): string[] {
  const created: string[] = []
  const write = (file: string, content: string) => {
    if (existsSync(file)) return
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, content, {mode: 0o644})
    created.push(file)
  }
  for (const [name, content] of Object.entries(IDENTITY_FILES)) write(path.join(workspace, name), content)
  for (const [name, content] of Object.entries(SKILLS)) write(path.join(workspace, 'skills', name, 'SKILL.md'), content)
  return created
}
