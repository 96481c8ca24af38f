import { z } from "zod";

export const PROMPT_TEMPLATES = ["r1_zero_short", "still_long", "deepseek_chat", "custom"] as const;
export type PromptTemplateName = (typeof PROMPT_TEMPLATES)[number];

/** Placeholder a custom template must contain; the question replaces it. */
export const QUESTION_PLACEHOLDER = "{question}";

export const promptSchema = z
  .strictObject({
    template: z.enum(PROMPT_TEMPLATES).default("deepseek_chat"),
    /** The template text when `template: custom`, containing `{question}`. */
    text: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.template === "custom") {
      if (p.text === undefined) {
        ctx.addIssue({ code: "custom", path: ["text"], message: "required when template is custom" });
      } else if (!p.text.includes(QUESTION_PLACEHOLDER)) {
        ctx.addIssue({
          code: "custom",
          path: ["text"],
          message: `expected a template containing ${QUESTION_PLACEHOLDER}`,
        });
      }
    } else if (p.text !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["text"],
        message: `only allowed with template: custom (template is ${p.template})`,
      });
    }
  });

export type PromptConfig = z.output<typeof promptSchema>;
