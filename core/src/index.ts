export * from "./text/fold";
export * from "./catalogue/schemas";
export * from "./periods/frequency";
export * from "./periods/period";
export * from "./tasks/deadline";
export * from "./format/vi";
export * from "./auth/roles";
