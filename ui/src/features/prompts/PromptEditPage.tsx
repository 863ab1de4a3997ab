import { EditEntityPage, NewEntityPage } from '../../components/EntityEdit';
import { prompts } from './api';
import { PromptForm } from './PromptForm';

export function NewPromptPage() {
  return <NewEntityPage title="New prompt" listPath="/prompts" listTitle="Prompts"><PromptForm /></NewEntityPage>;
}

export function PromptEditPage() {
  return <EditEntityPage what="Prompt" listPath="/prompts" listTitle="Prompts" useOne={prompts.useOne}
    form={(prompt, reload) => <PromptForm prompt={prompt} onReload={reload} />} />;
}
